/**
 * Pure rendering of notifications: (kind, context, locale, link) -> title, plain text and markdown.
 *
 * No I/O and no clock: the same input always gives the same output (times are shown in UTC), so a
 * retried delivery sends byte-identical messages.
 *
 * The markdown uses only what WeCom, DingTalk and Feishu cards all render: a bold first line,
 * `- ` list items and one `[label](url)` link. Slack gets it converted in `webhook-formats.ts`.
 */
import type {
  Locale,
  NotificationContext,
  NotificationKind,
  RenderedMessage,
} from '../domain/notifications/types';

type Loc = { en: string; zh: string };

/** One labelled line of the message body. */
interface Field {
  label: string;
  value: string;
}

interface Parts {
  title: string;
  summary: string;
  fields: Field[];
}

const LABELS = {
  deal: { en: 'Deal', zh: '交易' },
  account: { en: 'Account', zh: '客户' },
  stage: { en: 'Stage', zh: '阶段' },
  role: { en: 'Your role', zh: '签核角色' },
  due: { en: 'Due', zh: '截止时间' },
  timeLeft: { en: 'Time left', zh: '剩余时间' },
  overdueBy: { en: 'Overdue by', zh: '已超时' },
  level: { en: 'Escalation level', zh: '升级级别' },
  waitingOn: { en: 'Waiting on', zh: '待签核人' },
  decision: { en: 'Decision', zh: '结果' },
  reason: { en: 'Reason', zh: '原因' },
  sentBackTo: { en: 'Sent back to', zh: '退回至' },
  nextStage: { en: 'Next stage', zh: '下一阶段' },
  by: { en: 'By', zh: '操作人' },
  open: { en: 'Open deal', zh: '查看交易' },
  notSet: { en: 'not set', zh: '未设置' },
} satisfies Record<string, Loc>;

const ROLE_NAMES: Record<string, Loc> = {
  AR: { en: 'Account Responsible', zh: '客户责任人' },
  SR: { en: 'Solution Responsible', zh: '解决方案责任人' },
  FR: { en: 'Fulfillment Responsible', zh: '交付责任人' },
};

function pick(text: Loc, locale: Locale): string {
  return locale === 'zh' ? text.zh : text.en;
}

/** Collapse whitespace (incl. newlines) so interpolated values cannot add lines or markup blocks. */
function clean(value: string | undefined | null): string {
  return (value ?? '').replace(/\s+/g, ' ').trim();
}

/**
 * Make a user-provided value inert in markdown. Backslash escapes are not honoured by every chat
 * platform, so the characters that start emphasis, links or code become their full-width forms.
 */
function mdSafe(value: string | undefined | null): string {
  return (value ?? '').replace(/[*[\]`]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
}

/** The context with every free-text value made inert for markdown (ids and times untouched). */
function mdSafeContext(ctx: NotificationContext): NotificationContext {
  const loc = (t: Loc): Loc => ({ en: mdSafe(t.en), zh: mdSafe(t.zh) });
  const opt = (v: string | undefined): string | undefined => (v === undefined ? v : mdSafe(v));
  return {
    ...ctx,
    event: mdSafe(ctx.event),
    dealTitle: mdSafe(ctx.dealTitle ?? ''),
    accountName: mdSafe(ctx.accountName ?? ''),
    stage: mdSafe(ctx.stage ?? ''),
    stageName: loc(ctx.stageName ?? { en: '', zh: '' }),
    role: opt(ctx.role),
    waitingOn: ctx.waitingOn?.map((w) => ({
      role: mdSafe(w.role ?? ''),
      userName: mdSafe(w.userName ?? ''),
    })),
    reason: opt(ctx.reason),
    targetStageName: ctx.targetStageName ? loc(ctx.targetStageName) : undefined,
    actorName: opt(ctx.actorName),
  };
}

/** Percent-encode the characters that would end or break a markdown link target. */
function markdownUrl(url: string): string {
  return url
    .trim()
    .replace(/[\s()<>]/g, (c) => (c === '(' ? '%28' : c === ')' ? '%29' : encodeURIComponent(c)));
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * A due time in a stable, locale-independent form: `2026-11-27 14:00 UTC`.
 * An unparsable value is returned as given.
 */
export function formatDue(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return (
    `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())} UTC`
  );
}

/**
 * A compact duration with its two largest units, rounded down to the minute:
 * en `2d 3h`, `5h 20m`, `45m`, `<1m`; zh `2天3小时`, `5小时20分钟`, `45分钟`, `不到1分钟`.
 * The sign is ignored (callers say "overdue by" for negative values).
 */
export function formatDuration(ms: number, locale: Locale): string {
  const totalMin = Math.floor(Math.abs(ms) / 60_000);
  const zh = locale === 'zh';
  if (!Number.isFinite(totalMin) || totalMin < 1) return zh ? '不到1分钟' : '<1m';
  const days = Math.floor(totalMin / 1440);
  const hours = Math.floor((totalMin % 1440) / 60);
  const minutes = totalMin % 60;
  const unit = zh ? { d: '天', h: '小时', m: '分钟' } : { d: 'd', h: 'h', m: 'm' };
  const parts: string[] = [];
  if (days > 0) {
    parts.push(`${days}${unit.d}`);
    if (hours > 0) parts.push(`${hours}${unit.h}`);
  } else if (hours > 0) {
    parts.push(`${hours}${unit.h}`);
    if (minutes > 0) parts.push(`${minutes}${unit.m}`);
  } else {
    parts.push(`${minutes}${unit.m}`);
  }
  return parts.join(zh ? '' : ' ');
}

/** `SR (Solution Responsible)` / `SR（解决方案责任人）`; managers and groups get a readable name. */
export function formatRole(role: string, locale: Locale): string {
  const zh = locale === 'zh';
  const known = ROLE_NAMES[role];
  if (known) return zh ? `${role}（${known.zh}）` : `${role} (${known.en})`;
  if (role === 'manager') return zh ? '主管' : 'manager';
  if (role === 'manager+1') return zh ? '上级主管' : "manager's manager";
  if (role === 'system') return zh ? '系统' : 'system';
  if (role.startsWith('group:')) {
    const group = role.slice('group:'.length);
    return zh ? `${group} 组` : `group ${group}`;
  }
  return role;
}

function formatPeople(people: { role: string; userName: string }[], locale: Locale): string {
  const zh = locale === 'zh';
  return people
    .map((p) => {
      const name = clean(p.userName);
      const code = clean(p.role);
      if (!code) return name;
      // triangle roles stay short (AR/SR/FR); managers and groups get a readable name
      const role = ROLE_NAMES[code] ? code : formatRole(code, locale);
      return zh ? `${name}（${role}）` : `${name} (${role})`;
    })
    .join(zh ? '、' : ', ');
}

/** Quote a name inside a sentence: `「X」` in Chinese, `"X"` in English. */
function q(value: string, locale: Locale): string {
  return locale === 'zh' ? `「${value}」` : `"${value}"`;
}

function dueValue(ctx: NotificationContext): string | null {
  return ctx.dueAt ? formatDue(clean(ctx.dueAt)) : null;
}

/** Deal, account, stage (and due when known or when `requireDue`). */
function baseFields(ctx: NotificationContext, locale: Locale, requireDue: boolean): Field[] {
  const fields: Field[] = [
    { label: pick(LABELS.deal, locale), value: clean(ctx.dealTitle) },
    { label: pick(LABELS.account, locale), value: clean(ctx.accountName) },
    { label: pick(LABELS.stage, locale), value: stageLabel(ctx, locale) },
  ];
  const due = dueValue(ctx);
  if (due || requireDue)
    fields.push({ label: pick(LABELS.due, locale), value: due ?? pick(LABELS.notSet, locale) });
  return fields;
}

function stageLabel(ctx: NotificationContext, locale: Locale): string {
  return clean(pick(ctx.stageName, locale)) || clean(ctx.stage);
}

function targetLabel(ctx: NotificationContext, locale: Locale): string | null {
  if (ctx.targetStageName) {
    const name = clean(pick(ctx.targetStageName, locale));
    if (name) return name;
  }
  return ctx.targetStage ? clean(ctx.targetStage) : null;
}

function taskParts(ctx: NotificationContext, locale: Locale): Parts {
  const deal = clean(ctx.dealTitle);
  const stage = stageLabel(ctx, locale);
  const role = ctx.role ? formatRole(clean(ctx.role), locale) : null;
  const reassigned = ctx.event === 'role.reassigned';
  const zh = locale === 'zh';
  const fields = baseFields(ctx, locale, true);
  if (role) fields.splice(3, 0, { label: pick(LABELS.role, locale), value: role });
  let summary: string;
  if (zh) {
    summary = reassigned ? `您已被指派为交易${q(deal, locale)}的签核人。` : '';
    summary += role
      ? `请以${role}身份签核${q(stage, locale)}阶段。`
      : `请签核交易${q(deal, locale)}的${q(stage, locale)}阶段。`;
  } else {
    summary = reassigned ? `You were assigned to deal ${q(deal, locale)}. ` : '';
    summary += role
      ? `Please sign off stage ${q(stage, locale)} as ${role}.`
      : `Please sign off stage ${q(stage, locale)} of deal ${q(deal, locale)}.`;
  }
  return {
    title: zh ? `【待签核】${deal} · ${stage}` : `[Sign-off needed] ${deal} · ${stage}`,
    summary,
    fields,
  };
}

function reminderParts(ctx: NotificationContext, locale: Locale): Parts {
  const deal = clean(ctx.dealTitle);
  const stage = stageLabel(ctx, locale);
  const zh = locale === 'zh';
  const fields = baseFields(ctx, locale, true);
  if (ctx.role)
    fields.splice(3, 0, { label: pick(LABELS.role, locale), value: formatRole(clean(ctx.role), locale) });
  const left = typeof ctx.timeLeftMs === 'number' && Number.isFinite(ctx.timeLeftMs) ? ctx.timeLeftMs : null;
  let suffixZh = '';
  let suffixEn = '';
  let summary: string;
  if (left === null) {
    summary = zh
      ? `交易${q(deal, locale)}的${q(stage, locale)}阶段仍在等待您的签核。`
      : `Stage ${q(stage, locale)} of deal ${q(deal, locale)} is still waiting on your sign-off.`;
  } else if (left > 0) {
    const dur = formatDuration(left, locale);
    suffixZh = `（剩余${dur}）`;
    suffixEn = ` due in ${dur}`;
    fields.push({ label: pick(LABELS.timeLeft, locale), value: dur });
    summary = zh
      ? `交易${q(deal, locale)}的${q(stage, locale)}阶段将在${dur}后到期，请尽快签核。`
      : `Stage ${q(stage, locale)} of deal ${q(deal, locale)} is due in ${dur}. Please sign off.`;
  } else {
    const dur = formatDuration(left, locale);
    suffixZh = `（已超时${dur}）`;
    suffixEn = ` overdue by ${dur}`;
    fields.push({ label: pick(LABELS.overdueBy, locale), value: dur });
    summary = zh
      ? `交易${q(deal, locale)}的${q(stage, locale)}阶段已超时${dur}，请尽快签核。`
      : `Stage ${q(stage, locale)} of deal ${q(deal, locale)} is overdue by ${dur}. Please sign off.`;
  }
  return {
    title: zh ? `【签核提醒】${deal} · ${stage}${suffixZh}` : `[Reminder] ${deal} · ${stage}${suffixEn}`,
    summary,
    fields,
  };
}

function escalationParts(ctx: NotificationContext, locale: Locale): Parts {
  const deal = clean(ctx.dealTitle);
  const stage = stageLabel(ctx, locale);
  const zh = locale === 'zh';
  const level = ctx.escalationLevel ?? 1;
  const waiting = ctx.waitingOn && ctx.waitingOn.length > 0 ? formatPeople(ctx.waitingOn, locale) : null;
  const fields = baseFields(ctx, locale, true);
  fields.push({ label: pick(LABELS.level, locale), value: zh ? `第${level}级` : `L${level}` });
  if (waiting) fields.push({ label: pick(LABELS.waitingOn, locale), value: waiting });
  const summary = zh
    ? `您条线内的交易${q(deal, locale)}在${q(stage, locale)}阶段已超时（第${level}级升级），` +
      (waiting ? `正在等待${waiting}签核。` : '仍在等待签核。')
    : `Deal ${q(deal, locale)} in your line is overdue at stage ${q(stage, locale)} (level ${level})` +
      (waiting ? ` and waits on ${waiting}.` : ' and is still waiting on sign-off.');
  return {
    title: zh
      ? `【超时升级·第${level}级】${deal} · ${stage}`
      : `[Escalation L${level}] ${deal} · ${stage} is overdue`,
    summary,
    fields,
  };
}

function decisionParts(ctx: NotificationContext, locale: Locale): Parts {
  const deal = clean(ctx.dealTitle);
  const stage = stageLabel(ctx, locale);
  const zh = locale === 'zh';
  const decision = ctx.decision ?? (ctx.event === 'signoff.rejected' ? 'reject' : 'approve');
  const auto = ctx.event === 'stage.auto_decided';
  const actor = clean(ctx.actorName);
  const reason = clean(ctx.reason);
  const lost = ctx.targetStage === 'lost';
  const target = lost ? null : targetLabel(ctx, locale);
  const fields = baseFields(ctx, locale, false);

  let tag: string;
  let summary: string;
  if (decision === 'approve') {
    tag = zh ? (auto ? '自动通过' : '已通过') : auto ? 'Auto-approved' : 'Approved';
    if (zh) {
      summary = auto
        ? `${q(stage, locale)}阶段已超时，系统按规则自动批准。`
        : `${q(stage, locale)}阶段已${actor ? `由${actor}` : ''}批准。`;
      if (target) summary += `交易进入${q(target, locale)}阶段。`;
    } else {
      summary = auto
        ? `Stage ${q(stage, locale)} was approved automatically after its deadline.`
        : `Stage ${q(stage, locale)} was approved${actor ? ` by ${actor}` : ''}.`;
      if (target) summary += ` The deal moves on to ${q(target, locale)}.`;
    }
    if (target) fields.push({ label: pick(LABELS.nextStage, locale), value: target });
  } else {
    tag = zh ? (auto ? '自动驳回' : '已驳回') : auto ? 'Auto-rejected' : 'Rejected';
    if (zh) {
      summary = auto
        ? `${q(stage, locale)}阶段已超时，系统按规则自动驳回。`
        : `${q(stage, locale)}阶段已被${actor ? actor : ''}驳回。`;
      if (lost) summary += '交易已关闭为丢单。';
      else if (target) summary += `交易退回${q(target, locale)}阶段。`;
    } else {
      summary = auto
        ? `Stage ${q(stage, locale)} was rejected automatically after its deadline.`
        : `Stage ${q(stage, locale)} was rejected${actor ? ` by ${actor}` : ''}.`;
      if (lost) summary += ' The deal is closed as lost.';
      else if (target) summary += ` The deal goes back to ${q(target, locale)}.`;
    }
    if (reason) fields.push({ label: pick(LABELS.reason, locale), value: reason });
    if (target) fields.push({ label: pick(LABELS.sentBackTo, locale), value: target });
  }
  if (decision === 'approve' && reason) fields.push({ label: pick(LABELS.reason, locale), value: reason });
  if (actor && !auto) fields.push({ label: pick(LABELS.by, locale), value: actor });
  return {
    title: zh ? `【${tag}】${deal} · ${stage}` : `[${tag}] ${deal} · ${stage}`,
    summary,
    fields,
  };
}

const STATUS_TEXT: Record<string, { tag: Loc; sentence: Loc }> = {
  'deal.on_hold': {
    tag: { en: 'On hold', zh: '已暂停' },
    sentence: { en: 'The deal was put on hold.', zh: '交易已暂停。' },
  },
  'deal.resumed': {
    tag: { en: 'Resumed', zh: '已恢复' },
    sentence: { en: 'The deal was resumed.', zh: '交易已恢复推进。' },
  },
  'role.reassigned': {
    tag: { en: 'Reassigned', zh: '角色变更' },
    sentence: { en: 'A role on the deal was reassigned.', zh: '交易的角色已重新指派。' },
  },
  'deal.cancelled': {
    tag: { en: 'Cancelled', zh: '已取消' },
    sentence: { en: 'The deal was cancelled.', zh: '交易已取消。' },
  },
  'deal.completed': {
    tag: { en: 'Completed', zh: '已完成' },
    sentence: { en: 'The deal was completed.', zh: '交易已完成。' },
  },
  'deal.lost': {
    tag: { en: 'Lost', zh: '已丢单' },
    sentence: { en: 'The deal was lost.', zh: '交易已丢单。' },
  },
  'stage.entered': {
    tag: { en: 'Stage entered', zh: '阶段推进' },
    sentence: { en: 'The deal entered a new stage.', zh: '交易已进入新阶段。' },
  },
};

function statusParts(ctx: NotificationContext, locale: Locale): Parts {
  const deal = clean(ctx.dealTitle);
  const stage = stageLabel(ctx, locale);
  const zh = locale === 'zh';
  const actor = clean(ctx.actorName);
  const reason = clean(ctx.reason);
  const known = STATUS_TEXT[ctx.event];
  const tag = known ? pick(known.tag, locale) : zh ? '状态更新' : 'Update';
  let summary: string;
  if (ctx.event === 'role.reassigned' && ctx.role) {
    const role = formatRole(clean(ctx.role), locale);
    summary = zh
      ? `交易${q(deal, locale)}的${role}角色已重新指派${actor ? `（操作人：${actor}）` : ''}。`
      : `The ${role} role on deal ${q(deal, locale)} was reassigned${actor ? ` by ${actor}` : ''}.`;
  } else if (ctx.event === 'stage.entered') {
    summary = zh
      ? `交易${q(deal, locale)}已进入${q(stage, locale)}阶段。`
      : `Deal ${q(deal, locale)} entered stage ${q(stage, locale)}.`;
  } else if (known) {
    summary = pick(known.sentence, locale);
    if (actor) {
      summary = zh
        ? `${summary.replace(/。$/, '')}（操作人：${actor}）。`
        : `${summary.replace(/\.$/, '')} by ${actor}.`;
    }
  } else {
    summary = zh ? `交易状态更新：${clean(ctx.event)}。` : `Deal update: ${clean(ctx.event)}.`;
  }
  const fields = baseFields(ctx, locale, false);
  if (ctx.role && ctx.event === 'role.reassigned') {
    fields.push({ label: zh ? '角色' : 'Role', value: formatRole(clean(ctx.role), locale) });
  }
  if (reason) fields.push({ label: pick(LABELS.reason, locale), value: reason });
  if (actor) fields.push({ label: pick(LABELS.by, locale), value: actor });
  return {
    title: zh ? `【${tag}】${deal} · ${stage}` : `[${tag}] ${deal} · ${stage}`,
    summary,
    fields,
  };
}

function buildParts(kind: NotificationKind, ctx: NotificationContext, locale: Locale): Parts {
  switch (kind) {
    case 'task':
      return taskParts(ctx, locale);
    case 'reminder':
      return reminderParts(ctx, locale);
    case 'escalation':
      return escalationParts(ctx, locale);
    case 'decision':
      return decisionParts(ctx, locale);
    default:
      return statusParts(ctx, locale);
  }
}

/**
 * Render one notification in the recipient's locale (anything but `zh` renders English).
 * Every message names the deal, account, stage and (when known) the due time, and ends with the link.
 */
export function renderNotification(
  kind: NotificationKind,
  ctx: NotificationContext,
  locale: Locale,
  link: string,
): RenderedMessage {
  const loc: Locale = locale === 'zh' ? 'zh' : 'en';
  const plain = buildParts(kind, ctx, loc);
  const md = buildParts(kind, mdSafeContext(ctx), loc);
  const sep = loc === 'zh' ? '：' : ': ';
  const openLabel = pick(LABELS.open, loc);
  const url = link.trim();

  const text = [
    plain.title,
    '',
    plain.summary,
    '',
    ...plain.fields.map((f) => `${f.label}${sep}${f.value}`),
    '',
    `${openLabel}${sep}${url}`,
  ].join('\n');

  const markdown = [
    `**${md.title}**`,
    '',
    md.summary,
    '',
    ...md.fields.map((f) => `- ${f.label}${sep}${f.value}`),
    '',
    `[${openLabel}](${markdownUrl(url)})`,
  ].join('\n');

  return { title: plain.title, text, markdown };
}
