/**
 * The demo deals, made the way users make them: over the HTTP API with the demo users' tokens, so
 * every timeline entry is written by the deal workflows themselves (no row is inserted directly).
 * 36 deals over two teams: active deals in every stage, deals on hold, reassigned, amended,
 * reworked, completed, lost and cancelled, and four on the demo-clock version of the process
 * (1-minute SLAs) that become overdue and escalate by their own timers a minute after the seed.
 */

type Role = 'AR' | 'SR' | 'FR';
type Team = Record<Role, string> & { manager: string };

export const TEAM_A: Team = { AR: 'ar-li', SR: 'sr-chen', FR: 'fr-zhang', manager: 'mgr-wang' };
export const TEAM_B: Team = { AR: 'ar-zhou', SR: 'sr-wu', FR: 'fr-huang', manager: 'mgr-sun' };

type Step =
  | { to: string }
  | { complete: true }
  | { reject: Role; reason: string }
  | { hold: string }
  | { cancel: string }
  | { reassign: Role; userId: string; reason: string }
  | { amend: number };

export interface DealPlan {
  key: string;
  team: Team;
  title: string;
  account: string;
  tier?: string;
  amount: number;
  /** Pin a process version (the demo clock is version 1). */
  version?: number;
  steps: Step[];
}

const plan = (
  key: string,
  team: Team,
  title: string,
  account: string,
  amount: number,
  steps: Step[],
  extra: Partial<DealPlan> = {},
): DealPlan => ({ key: `demo-${key}`, team, title, account, amount: cents(amount), steps, ...extra });
/** Whole cents: `4.1 * M` is 4099999.9999999995 in binary, which the API rightly refuses. */
const cents = (amount: number) => Math.round(amount * 100) / 100;
const A = TEAM_A;
const B = TEAM_B;
const M = 1_000_000;

/** On the demo-clock version: created first, so their clocks run while the rest is seeded. */
export const DEMO_CLOCK_PLANS: DealPlan[] = [
  plan('urumqi', A, '乌鲁木齐燃气管网遥测 / Gas pipeline telemetry', 'Xinjiang Gas Group', 3.6 * M, [], {
    version: 1,
  }),
  plan(
    'hainan',
    A,
    '三亚度假酒店 Wi-Fi 改造 / Resort Wi-Fi refresh',
    'Sanya Bay Resorts',
    0.9 * M,
    [{ to: 'ati' }],
    {
      version: 1,
    },
  ),
  plan(
    'taiyuan',
    B,
    '太原煤矿安全监测网络 / Mine safety network',
    'Shanxi Coal Holdings',
    5.8 * M,
    [{ to: 'atb' }],
    {
      version: 1,
    },
  ),
  plan(
    'hohhot',
    B,
    '呼和浩特乳业供应链可视化 / Dairy supply-chain visibility',
    'Inner Mongolia Dairy',
    2.4 * M,
    [{ to: 'solution' }],
    {
      version: 1,
    },
  ),
];

export const DEAL_PLANS: DealPlan[] = [
  plan('hangzhou', B, '杭州亚运场馆 Wi-Fi 6 / Venue Wi-Fi 6', 'Hangzhou Sports Park', 3.2 * M, []),
  plan(
    'guangzhou',
    A,
    '广州数据中心扩容 / Data centre expansion',
    'China Mobile Guangdong',
    12 * M,
    [{ to: 'ati' }],
    {
      tier: 'strategic',
    },
  ),
  plan('chengdu', B, '成都智能电表 / Smart-grid metering', 'State Grid Sichuan', 2.8 * M, [{ to: 'ati' }]),
  plan('wuhan', A, '武汉医院园区网络 / Hospital campus network', 'Tongji Hospital Wuhan', 6.5 * M, [
    { to: 'atb' },
    { reject: 'SR', reason: 'The bid needs a redundant core: rework the solution before we commit.' },
    { to: 'solution' },
  ]),
  plan('suzhou', B, '苏州工厂 MES 上线 / Factory MES rollout', 'Suzhou Precision Parts', 4.1 * M, [
    { to: 'solution' },
  ]),
  plan(
    'shanghai',
    A,
    '上海港 5G 专网 / Port 5G private network',
    'Shanghai International Port',
    22 * M,
    [{ to: 'atb' }],
    {
      tier: 'strategic',
    },
  ),
  plan('xian', B, '西安机场行李 IoT / Airport baggage IoT', "Xi'an Xianyang Airport", 3.9 * M, [
    { to: 'solution' },
    { amend: 7.6 * M },
    { to: 'atb' },
  ]),
  plan('nanjing', A, '南京地铁票务升级 / Metro ticketing upgrade', 'Nanjing Metro', 9.8 * M, [{ to: 'bid' }]),
  plan('qingdao', B, '青岛啤酒冷链追踪 / Cold-chain tracking', 'Qingdao Brewery', 1.9 * M, [{ to: 'bid' }]),
  plan('tianjin', A, '天津钢厂预测性维护 / Predictive maintenance', 'Tianjin Steel', 15 * M, [
    { to: 'negotiation' },
  ]),
  plan('xiamen', B, '厦门银行核心网络更新 / Core network refresh', 'Bank of Xiamen', 5.4 * M, [
    { to: 'bid' },
    {
      reassign: 'SR',
      userId: 'sr-chen',
      reason: 'Sr Wu moves to the Ningbo port project; Chen knows the bank.',
    },
    { to: 'negotiation' },
  ]),
  plan('shenzhen', A, '深圳湾智慧园区 / Smart campus', 'Shenzhen Bay Development', 31 * M, [{ to: 'atc' }], {
    tier: 'strategic',
  }),
  plan('kunming', B, '昆明烟草物流 WMS / Logistics WMS', 'Yunnan Tobacco Logistics', 2.2 * M, [
    { to: 'atc' },
  ]),
  plan('changsha', A, '长沙电视台 IP 化改造 / Broadcast IP migration', 'Hunan Broadcasting', 4.7 * M, [
    { to: 'handover' },
  ]),
  plan('hefei', B, '合肥面板厂洁净室监控 / Clean-room monitoring', 'BOE Hefei', 8.9 * M, [
    { to: 'handover' },
  ]),
  plan('dalian', A, '大连船厂专网 LTE / Shipyard private LTE', 'Dalian Shipbuilding', 13.5 * M, [
    { to: 'handover' },
    { reassign: 'FR', userId: 'fr-huang', reason: 'Huang led the Ningbo LTE delivery; Zhang is on leave.' },
    { to: 'delivery' },
  ]),
  plan('ningbo', B, '宁波港岸桥自动化 / Crane automation', 'Ningbo Zhoushan Port', 18 * M, [
    { to: 'delivery' },
  ]),
  plan('harbin', A, '哈尔滨冰雪节票务云 / Ticketing cloud', 'Harbin Ice Festival', 1.2 * M, [
    { to: 'acceptance' },
  ]),
  plan('zhengzhou', B, '郑州铁路枢纽视频监控 / Rail hub CCTV', 'Zhengzhou Rail Hub', 6.1 * M, [
    { to: 'acceptance' },
  ]),
  plan('jinan', A, '济南省级政务云 / Provincial e-gov cloud', 'Shandong Big Data Bureau', 28 * M, [
    { to: 'negotiation' },
    { amend: 26 * M },
    { to: 'collection' },
  ]),
  plan('foshan', B, '佛山陶瓷 ERP 集成 / ERP integration', 'Foshan Ceramics', 3.3 * M, [
    { to: 'collection' },
  ]),
  plan(
    'guiyang',
    A,
    '贵阳大数据中心一期 / Big-data centre phase I',
    'Guizhou Big Data Group',
    40 * M,
    [{ to: 'close' }],
    {
      tier: 'strategic',
    },
  ),
  plan('nanning', B, '南宁边贸平台 / Border-trade platform', 'Guangxi Border Trade', 2.7 * M, [
    { to: 'close' },
  ]),
  plan('shenyang', A, '沈阳汽车厂 AGV 车队 / AGV fleet', 'Brilliance Auto Shenyang', 7.2 * M, [
    { to: 'bid' },
    { hold: 'Customer froze capex until the Q3 board meeting.' },
  ]),
  plan('lanzhou', B, '兰州光伏电站 SCADA / Solar farm SCADA', 'Gansu New Energy', 4.4 * M, [
    { to: 'negotiation' },
    { hold: 'Grid connection permit pending; the customer asked us to pause.' },
  ]),
  plan('beijing', A, '首都机场 T3 导视系统 / T3 wayfinding', 'Beijing Capital Airport', 8.2 * M, [
    { complete: true },
  ]),
  plan('wuxi', B, '无锡半导体 MES / Semiconductor MES', 'Wuxi Semiconductor', 11 * M, [{ complete: true }]),
  plan('yunnan', A, '云南茶叶出口 CRM / Tea exporter CRM', 'Pu’er Tea Export', 0.6 * M, [
    { reject: 'AR', reason: 'Budget cut: the customer cancelled the RFP.' },
  ]),
  plan('fuzhou', B, '福州航运 EDI 网关 / Shipping EDI gateway', 'Fuzhou Shipping', 1.4 * M, [
    { to: 'ati' },
    { reject: 'FR', reason: 'Delivery risk too high: no local installation partner in Fuzhou.' },
  ]),
  plan('zhuhai', A, '珠海度假区 POS / Resort POS', 'Zhuhai Resort Group', 2.5 * M, [
    { to: 'bid' },
    { cancel: 'The customer merged with a competitor; the project is dropped.' },
  ]),
  plan('lhasa', B, '拉萨医院远程医疗 / Telemedicine', 'Tibet People’s Hospital', 3 * M, [
    { to: 'solution' },
    { cancel: 'Funding moved to the provincial programme; we re-engage there.' },
  ]),
];

const COMMENTS: Record<string, string> = {
  AR: 'Customer confirmed budget, timeline and decision chain.',
  SR: 'Solution reviewed with the customer’s architects.',
  FR: 'Delivery capacity and cost confirmed.',
  manager: 'Approved at the gate review.',
};

interface DealView {
  id: string;
  status: string;
  stage: { key: string; escalationLevel: number; waitingOn: { role: string; userId: string }[] } | null;
}

interface Reply {
  status: number;
  body: unknown;
  replayed: boolean;
}

/** The API as a demo user calls it. */
export type DemoApi = (
  user: string,
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<Reply>;

export function httpDemoApi(apiUrl: string, tokens: Record<string, string>): DemoApi {
  const call: DemoApi = async (user, method, path, body, headers = {}) => {
    const token = tokens[user];
    if (!token) throw new Error(`no demo token for ${user}`);
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(apiUrl + path, {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      // Over the per-user rate limit: wait as told and send the same request again.
      if (res.status === 429 && attempt < 20) {
        await sleep(Number(res.headers.get('retry-after') ?? 1) * 1000);
        continue;
      }
      return {
        status: res.status,
        body: text ? JSON.parse(text) : null,
        replayed: res.headers.get('idempotent-replayed') === 'true',
      };
    }
  };
  return call;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function ok(reply: Promise<Reply>, what: string): Promise<unknown> {
  const r = await reply;
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

async function getDeal(api: DemoApi, user: string, id: string): Promise<DealView> {
  return (await ok(api(user, 'GET', `/deals/${id}`), `GET /deals/${id}`)) as DealView;
}

/** Approves what the deal waits on, in order, until it reaches stage `target` (null: until it ends). */
async function advance(api: DemoApi, p: DealPlan, id: string, target: string | null): Promise<void> {
  const deadline = Date.now() + 180_000;
  let d = await getDeal(api, p.team.manager, id);
  while (d.status === 'active' && d.stage?.key !== target) {
    if (Date.now() > deadline) throw new Error(`${p.key}: stuck at ${d.stage?.key}`);
    const next = d.stage?.waitingOn[0];
    if (!d.stage || !next) {
      await sleep(250); // decided: the workflow is entering the next stage
    } else {
      const r = await api(next.userId, 'POST', `/deals/${id}/signoffs`, {
        stage: d.stage.key,
        role: next.role,
        decision: 'approve',
        comment: COMMENTS[next.role] ?? COMMENTS.manager,
      });
      // 409: the stage moved meanwhile; look again.
      if (r.status !== 200 && r.status !== 409)
        throw new Error(`${p.key}: sign-off ${r.status} ${JSON.stringify(r.body)}`);
    }
    d = await getDeal(api, p.team.manager, id);
  }
}

async function waitForStageChange(api: DemoApi, p: DealPlan, id: string, from: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const d = await getDeal(api, p.team.manager, id);
    if (d.status !== 'active' || d.stage?.key !== from) return;
    if (Date.now() > deadline) throw new Error(`${p.key}: still at ${from}`);
    await sleep(250);
  }
}

/** The demo's ops user (scripts/seed.ts). */
const DEMO_OPS = 'ops-liu';

/** Creates the deal (Idempotency-Key `demo-…`) and plays its steps; a deal that exists is left alone. */
export async function playDeal(api: DemoApi, p: DealPlan): Promise<string> {
  // Only ops may start a deal on an older process version (the demo-clock deals do).
  const creator = p.version ? DEMO_OPS : p.team.manager;
  const created = await api(
    creator,
    'POST',
    '/deals',
    {
      title: p.title,
      account: { name: p.account, tier: p.tier ?? 'key' },
      value: { amount: p.amount, currency: 'CNY' },
      triangle: { AR: p.team.AR, SR: p.team.SR, FR: p.team.FR },
      process: { key: 'ltc-standard', ...(p.version ? { version: p.version } : {}) },
    },
    { 'Idempotency-Key': p.key },
  );
  if (created.status !== 201)
    throw new Error(`${p.key}: create ${created.status} ${JSON.stringify(created.body)}`);
  const id = (created.body as DealView).id;
  if (created.replayed) return id;
  const mgr = p.team.manager;
  for (const step of p.steps) {
    if ('to' in step) await advance(api, p, id, step.to);
    else if ('complete' in step) await advance(api, p, id, null);
    else if ('reject' in step) {
      const d = await getDeal(api, mgr, id);
      await ok(
        api(p.team[step.reject], 'POST', `/deals/${id}/signoffs`, {
          stage: d.stage!.key,
          role: step.reject,
          decision: 'reject',
          comment: step.reason,
        }),
        `${p.key}: reject`,
      );
      await waitForStageChange(api, p, id, d.stage!.key);
    } else if ('hold' in step)
      await ok(api(mgr, 'POST', `/deals/${id}/hold`, { reason: step.hold }), `${p.key}: hold`);
    else if ('cancel' in step)
      await ok(api(mgr, 'POST', `/deals/${id}/cancel`, { reason: step.cancel }), `${p.key}: cancel`);
    else if ('reassign' in step)
      await ok(
        api(mgr, 'POST', `/deals/${id}/reassign`, {
          role: step.reassign,
          userId: step.userId,
          reason: step.reason,
        }),
        `${p.key}: reassign`,
      );
    else if ('amend' in step)
      await ok(
        api(mgr, 'PATCH', `/deals/${id}`, { value: { amount: cents(step.amend), currency: 'CNY' } }),
        `${p.key}: amend`,
      );
  }
  return id;
}

/** Runs `fn` over `items`, `width` at a time. */
export async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(width, queue.length) }, async () => {
      for (let item = queue.shift(); item; item = queue.shift()) await fn(item);
    }),
  );
}

/** Waits until the demo-clock deals have escalated (their 45-second SLAs run out by themselves). */
export async function waitForEscalations(
  api: DemoApi,
  ids: { plan: DealPlan; id: string }[],
  log: (msg: string) => void,
  timeoutMs = 240_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const views = await Promise.all(ids.map((x) => getDeal(api, x.plan.team.manager, x.id)));
    const pending = views.filter((d) => d.status === 'active' && (d.stage?.escalationLevel ?? 0) < 1).length;
    if (pending === 0) return;
    if (Date.now() > deadline) {
      log(`${pending} demo-clock deal(s) have not escalated yet; they will shortly`);
      return;
    }
    await sleep(1000);
  }
}
