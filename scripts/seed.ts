/**
 * Demo data for `npm start`, written idempotently: the default LTC process, an org of two sales
 * teams, and (on the first start only) 36 demo deals made through the HTTP API (seed-deals.ts).
 * Tokens are generated once and kept in `<DATA_DIR>/demo-tokens.json` (only their hashes are in the
 * database), so every start can print them.
 *
 * The process gets two versions on the first start: version 1 is the demo clock (the same stages
 * with 45-second SLAs, so a few demo deals become overdue and escalate within a minute by their own
 * timers) and version 2 is processes/ltc-standard.yaml, which every new deal uses.
 */
import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { parse as parseYaml } from 'yaml';
import { hashToken, newToken } from '../api/auth/tokens';
import { applyProcessDefinition, getLatestProcessVersion } from '../api/process-definitions/repo';
import type { Db } from '../db/client';
import { apiTokens, deals, users } from '../db/schema';
import { validateProcessDefinition } from '../definitions/validate';
import type { ProcessDefinition } from '../domain/process/types';
import {
  DEAL_PLANS,
  DEMO_CLOCK_PLANS,
  type DealPlan,
  httpDemoApi,
  playDeal,
  pool,
  TEAM_A,
  waitForEscalations,
} from './seed-deals';

export const DEMO_USERS = [
  {
    id: 'vp-zhao',
    name: '赵总 (Zhao, VP Sales)',
    email: 'zhao@demo.ltc',
    roles: ['manager'],
    managerId: null,
    groups: ['sdt'],
    locale: 'zh',
  },
  {
    id: 'mgr-wang',
    name: '王经理 (Wang, Key Account Manager)',
    email: 'wang@demo.ltc',
    roles: ['manager'],
    managerId: 'vp-zhao',
    groups: [],
    locale: 'zh',
  },
  {
    id: 'ar-li',
    name: 'Li Na',
    email: 'li@demo.ltc',
    roles: ['member'],
    managerId: 'mgr-wang',
    groups: [],
    locale: 'zh',
  },
  {
    id: 'sr-chen',
    name: 'Chen Wei',
    email: 'chen@demo.ltc',
    roles: ['member'],
    managerId: 'mgr-wang',
    groups: [],
    locale: 'en',
  },
  {
    id: 'fr-zhang',
    name: 'Zhang Min',
    email: 'zhang@demo.ltc',
    roles: ['member'],
    managerId: 'mgr-wang',
    groups: [],
    locale: 'en',
  },
  {
    id: 'mgr-sun',
    name: '孙经理 (Sun, Key Account Manager)',
    email: 'sun@demo.ltc',
    roles: ['manager'],
    managerId: 'vp-zhao',
    groups: [],
    locale: 'zh',
  },
  {
    id: 'ar-zhou',
    name: 'Zhou Jie',
    email: 'zhou@demo.ltc',
    roles: ['member'],
    managerId: 'mgr-sun',
    groups: [],
    locale: 'zh',
  },
  {
    id: 'sr-wu',
    name: 'Wu Hao',
    email: 'wu@demo.ltc',
    roles: ['member'],
    managerId: 'mgr-sun',
    groups: [],
    locale: 'en',
  },
  {
    id: 'fr-huang',
    name: 'Huang Lei',
    email: 'huang@demo.ltc',
    roles: ['member'],
    managerId: 'mgr-sun',
    groups: [],
    locale: 'zh',
  },
  {
    id: 'ops-liu',
    name: 'Liu Yang (Ops)',
    email: 'liu@demo.ltc',
    roles: ['ops'],
    managerId: null,
    groups: [],
    locale: 'en',
  },
] as const;

export interface SeedResult {
  tokens: Record<string, string>;
  processVersion: number;
  demoDealId: string;
  /** Deals this run created (0 when the demo deals were there already). */
  created: number;
}

/** The demo clock: the process with 45-second SLAs and escalations 45 seconds apart. */
export function demoClockDefinition(def: ProcessDefinition): ProcessDefinition {
  return {
    ...def,
    name: { en: `${def.name.en} (demo clock)`, zh: `${def.name.zh}（演示时钟）` },
    stages: def.stages.map((s) => ({
      ...s,
      sla: {
        within: '45s',
        remind: ['20s'],
        escalate: (s.sla.escalate ?? []).map((level, i) => ({ ...level, after: `${i * 45}s` })),
      },
    })),
  };
}

export async function seedDemo(opts: {
  db: Db;
  dataDir: string;
  root: string;
  /** The running API the demo deals are made through. */
  apiUrl: string;
  log?: (msg: string) => void;
  /** false: users, tokens and the process only (benchmarks make their own deals). */
  withDeals?: boolean;
}): Promise<SeedResult> {
  const log = opts.log ?? (() => {});
  const { db } = opts;
  const text = fs.readFileSync(path.join(opts.root, 'processes', 'ltc-standard.yaml'), 'utf8');
  const validated = validateProcessDefinition(parseYaml(text), { knownGroups: ['sdt'] });
  if (!validated.ok)
    throw new Error(`processes/ltc-standard.yaml is invalid: ${JSON.stringify(validated.errors)}`);

  for (const u of DEMO_USERS) {
    await db
      .insert(users)
      .values({ ...u, roles: [...u.roles], groups: [...u.groups] })
      .onConflictDoNothing();
  }
  // Only the first start stores the default process (v1 the demo clock, v2 the file): later
  // versions are ops' to apply, and a restart must never put the file's content back over them.
  let version = await getLatestProcessVersion(db, validated.definition.key);
  if (!version) {
    await applyProcessDefinition(db, demoClockDefinition(validated.definition), 'seed');
    version = (await applyProcessDefinition(db, validated.definition, 'seed')).version;
  }

  const tokenFile = path.join(opts.dataDir, 'demo-tokens.json');
  let tokens: Record<string, string> = fs.existsSync(tokenFile)
    ? JSON.parse(fs.readFileSync(tokenFile, 'utf8'))
    : {};
  for (const u of DEMO_USERS) {
    const id = `tok_demo_${u.id}`;
    const existing = await db.select().from(apiTokens).where(eq(apiTokens.id, id)).limit(1);
    if (
      tokens[u.id] &&
      existing[0] &&
      existing[0].tokenHash === hashToken(tokens[u.id]) &&
      !existing[0].revokedAt
    )
      continue;
    const t = newToken();
    await db
      .insert(apiTokens)
      .values({ id, userId: u.id, tokenHash: t.hash, label: 'demo' })
      .onConflictDoUpdate({ target: apiTokens.id, set: { tokenHash: t.hash, revokedAt: null } });
    tokens = { ...tokens, [u.id]: t.token };
  }
  fs.writeFileSync(tokenFile, JSON.stringify(tokens, null, 2), { mode: 0o600 });

  // The demo deals, once: the Metro deal (`demo-deal`) is made last and marks the set as done. A
  // deal of the set that exists already (an interrupted first start) is left as it is.
  const existingDeal = await db
    .select({ id: deals.id })
    .from(deals)
    .where(eq(deals.idempotencyKey, 'demo-deal'))
    .limit(1);
  if (existingDeal[0] || opts.withDeals === false)
    return { tokens, processVersion: version.version, demoDealId: existingDeal[0]?.id ?? '', created: 0 };

  const api = httpDemoApi(opts.apiUrl, tokens);
  const started = Date.now();
  log(`seeding ${DEMO_CLOCK_PLANS.length + DEAL_PLANS.length + 1} demo deals through the API...`);
  const clocked: { plan: DealPlan; id: string }[] = [];
  await pool(DEMO_CLOCK_PLANS, 4, async (plan) => {
    clocked.push({ plan, id: await playDeal(api, plan) });
  });
  await pool(DEAL_PLANS, 4, async (plan) => {
    await playDeal(api, plan);
  });
  const demoDealId = await playDeal(api, {
    key: 'demo-deal',
    team: TEAM_A,
    title: '深圳地铁14号线信号系统 / Metro Line 14 signalling',
    account: 'Shenzhen Metro Group',
    tier: 'strategic',
    amount: 48_000_000,
    steps: [],
  });
  log('waiting for the demo-clock deals to become overdue and escalate (under a minute)...');
  await waitForEscalations(api, clocked, log);
  log(`demo deals seeded in ${Math.round((Date.now() - started) / 1000)} s`);
  return {
    tokens,
    processVersion: version.version,
    demoDealId,
    created: DEMO_CLOCK_PLANS.length + DEAL_PLANS.length + 1,
  };
}
