/**
 * The deal workflow's writes: the timeline, the `deals` projection, sign-offs, stage visits and the
 * notification outbox. Each call is ONE SQL statement (data-modifying CTEs), so a sign-off costs one
 * Postgres round trip, and the whole write is atomic.
 *
 * Idempotent: events are unique on (deal, seq) and (deal, event key), sign-offs on
 * (deal, stage, visit, role), stage visits on (deal, stage, visit), notifications on their dedupe key;
 * every insert is ON CONFLICT DO NOTHING and the projection only moves forward (projection_seq).
 * A retried activity writes nothing twice.
 *
 * The workflow is the source of truth, so a ghost write loses. A ghost is a write whose local
 * activity committed while its workflow task never completed (the worker died): history never
 * recorded it, the Update is redelivered later, maybe after another command, and the workflow then
 * writes other events at the seqs the ghost used. When a write inserts fewer events than it sent,
 * rows of the deal that conflict with them (the same seq under another event key, the same event key
 * at another seq, or the same seq and key with other content, e.g. a redelivered command's time) are
 * the ghost's: in one transaction they are deleted (with the sign-offs of their sign-off events),
 * the sent write is inserted and the projection re-applied at its own seq too
 * (projection_seq <= new), and a warn line names the deal and the replaced seqs and keys. An
 * identical row (a retry sends exactly what it stored) is no conflict and stays a no-op. A sign-off
 * row for the same (deal, stage, visit, role) with other content takes the workflow's values
 * (ON CONFLICT DO UPDATE). Stage visits and notifications a ghost wrote are left as they are.
 */
import { createHash } from 'node:crypto';
import { ApplicationFailure, log } from '@temporalio/activity';
import { type SQL, sql } from 'drizzle-orm';
import { type Db, executePrepared, pgErrorOf } from '../db/client';
import { users } from '../db/schema';
import type { RequiredApprover } from '../domain/deal/types';
import type { Locale, NotificationContext } from '../domain/notifications/types';
import { renderNotification } from '../notifications/render';
import { completesDeal, summariesIn, withSummaries } from './deal-summaries';
import type {
  DealActivities,
  DealFaultInput,
  NotifyIntent,
  RecordInput,
  RecordResult,
  ResolveApproversInput,
  ResolveDirectoryInput,
  ResolveTargetsInput,
} from './types';

export interface OutboxRow {
  id: string;
  dedupeKey: string;
  dealId: string;
  stage: string | null;
  kind: string;
  event: string;
  userId: string;
  text: string;
  context: NotificationContext;
}

export interface DealRecordsDeps {
  db: Db;
  /** Base URL of links in notifications. */
  publicUrl: string;
  /** Starts delivery of outbox rows (their own workflows; rows needing none are skipped). */
  onNotified?: (rows: { id: string }[]) => Promise<void>;
  /**
   * Whether outbox rows may need delivering at all (no SMTP and no active webhook: they are only
   * inbox items). A command's write then defers nothing, and its workflow starts no delivery
   * activity. Default: they may.
   */
  deliveryNeeded?: () => Promise<boolean>;
}

/**
 * Data Postgres refuses (integrity or data errors, SQLSTATE classes 22 and 23) will be refused on
 * every retry: fail without retrying. Anything else (a lost connection, a restart) is retried.
 */
async function executeOrRefuse<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const code = pgErrorOf(err)?.code;
    if (code && (code.startsWith('22') || code.startsWith('23'))) {
      throw ApplicationFailure.nonRetryable(
        `Postgres refused the deal's write (${code}): ${pgErrorOf(err)?.message}`,
        'InvalidDealData',
      );
    }
    throw err;
  }
}

/**
 * The JSON of a write, with any text Postgres would refuse made storable: `\u0000` and unpaired
 * surrogate escapes (JSON.stringify escapes exactly those) become U+FFFD. The API and the workflow
 * refuse such text already; this is the last guard, so such a write can never be refused.
 */
export function storableJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /(?<=(?:^|[^\\])(?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/gi,
    '\\ufffd',
  );
}

export function notificationId(dedupeKey: string): string {
  return `ntf_${createHash('sha256').update(dedupeKey).digest('hex').slice(0, 32)}`;
}

export function dealLink(publicUrl: string, dealId: string): string {
  return `${publicUrl.replace(/\/$/, '')}/deals/${dealId}`;
}

interface WriteCounts extends Record<string, unknown> {
  events: number | string;
  updated: number | string;
  stale: number | string;
}

/** A write's fence, or null (a write from before fences: never stale, counts as the highest). */
function fenceOf(input: RecordInput): number | null {
  return typeof input.fence === 'number' && Number.isSafeInteger(input.fence) ? input.fence : null;
}

/**
 * The write of `input` as ONE statement. `forward` moves the projection only to a later seq;
 * `replace` (after ghost rows were removed) also rewrites it at the same seq, so the workflow's write
 * wins over a ghost's that used its seq.
 *
 * Fencing: a write whose events meet a row of the deal (same seq or same event key) stored with a
 * higher fence is a superseded workflow task attempt's late ghost (`stale`): it changes nothing. A
 * sign-off or projection stored with a higher fence is never overwritten either, even by a write that
 * raced with the one that stored it.
 */
function writeStatement(input: RecordInput, json: string, mode: 'forward' | 'replace') {
  return sql`
      WITH p AS (SELECT ${json}::jsonb AS j, ${fenceOf(input)}::bigint AS f),
      stale AS (
        SELECT 1 AS s FROM p, jsonb_to_recordset(p.j->'events') AS x(seq int, key text)
        WHERE p.f IS NOT NULL AND (
          EXISTS (SELECT 1 FROM deal_events e WHERE e.deal_id = ${input.dealId} AND e.seq = x.seq
            AND coalesce(e.fence, 0) > p.f)
          OR EXISTS (SELECT 1 FROM deal_events e WHERE e.deal_id = ${input.dealId} AND e.event_key = x.key
            AND coalesce(e.fence, 0) > p.f))
        LIMIT 1
      ),
      ev AS (
        INSERT INTO deal_events (deal_id, seq, event_key, type, at, stage, actor_id, on_behalf_of_id, data, fence)
        SELECT ${input.dealId}, x.seq, x.key, x.type, x.at, x.stage, x."actorId", x."onBehalfOfId", x.data, p.f
        FROM p, jsonb_to_recordset(p.j->'events') AS x(seq int, key text, type text, at timestamptz, stage text,
          "actorId" text, "onBehalfOfId" text, data jsonb)
        WHERE NOT EXISTS (SELECT 1 FROM stale)
        ON CONFLICT DO NOTHING
        RETURNING 1
      ),
      so AS (
        INSERT INTO signoffs (deal_id, stage_key, visit, role, user_id, actor_id, decision, comment, at, fence)
        SELECT ${input.dealId}, x."stageKey", x.visit, x.role, x."userId", x."actorId", x.decision, x.comment, x.at, p.f
        FROM p, jsonb_to_recordset(p.j->'signoffs') AS x("stageKey" text, visit int, role text, "userId" text,
          "actorId" text, decision text, comment text, at timestamptz)
        WHERE NOT EXISTS (SELECT 1 FROM stale)
        ON CONFLICT (deal_id, stage_key, visit, role) DO UPDATE SET
          user_id = EXCLUDED.user_id, actor_id = EXCLUDED.actor_id, decision = EXCLUDED.decision,
          comment = EXCLUDED.comment, at = EXCLUDED.at, fence = EXCLUDED.fence
        WHERE (signoffs.user_id, signoffs.actor_id, signoffs.decision, signoffs.comment, signoffs.at)
          IS DISTINCT FROM (EXCLUDED.user_id, EXCLUDED.actor_id, EXCLUDED.decision, EXCLUDED.comment, EXCLUDED.at)
          AND (EXCLUDED.fence IS NULL OR coalesce(signoffs.fence, 0) <= EXCLUDED.fence)
        RETURNING 1
      ),
      sv AS (
        INSERT INTO stage_visits (deal_id, stage_key, visit, stage_index, entered_at, exited_at, due_at, outcome,
          breached, escalations, holders, weights, signers)
        SELECT ${input.dealId}, x.key, x.visit, x.index, x."enteredAt", x."exitedAt", x."dueAt", x.outcome,
          x.breached, x.escalations, x.holders, x.weights, x.signers
        FROM p, jsonb_to_recordset(p.j->'visits') AS x(key text, visit int, index int, "enteredAt" timestamptz,
          "exitedAt" timestamptz, "dueAt" timestamptz, outcome text, breached boolean, escalations int,
          holders jsonb, weights jsonb, signers jsonb)
        WHERE NOT EXISTS (SELECT 1 FROM stale)
        ON CONFLICT DO NOTHING
        RETURNING 1
      ),
      nt AS (
        INSERT INTO notifications (id, dedupe_key, deal_id, stage, kind, event, user_id, text, context)
        SELECT x.id, x."dedupeKey", x."dealId", x.stage, x.kind, x.event, x."userId", x.text, x.context
        FROM p, jsonb_to_recordset(p.j->'notifications') AS x(id text, "dedupeKey" text, "dealId" text, stage text,
          kind text, event text, "userId" text, text text, context jsonb)
        WHERE NOT EXISTS (SELECT 1 FROM stale)
        ON CONFLICT DO NOTHING
        RETURNING id
      ),
      up AS (
        UPDATE deals SET
          projection_seq = (d.d->>'projectionSeq')::int,
          status = d.d->>'status',
          value_amount = (d.d->'value'->>'amount')::numeric,
          currency = d.d->'value'->>'currency',
          ar_id = d.d->'triangle'->>'AR',
          sr_id = d.d->'triangle'->>'SR',
          fr_id = d.d->'triangle'->>'FR',
          stage_key = d.d->>'stageKey',
          stage_index = (d.d->>'stageIndex')::int,
          stage_visit = (d.d->>'stageVisit')::int,
          stage_entered_at = (d.d->>'stageEnteredAt')::timestamptz,
          due_at = (d.d->>'dueAt')::timestamptz,
          escalation_level = (d.d->>'escalationLevel')::int,
          required = d.d->'required',
          waiting_on = d.d->'waitingOn',
          pending_user_ids = ARRAY(SELECT jsonb_array_elements_text(d.d->'pendingUserIds')),
          participant_ids = ARRAY(
            SELECT DISTINCT x FROM unnest(
              deals.participant_ids
              || ARRAY(SELECT jsonb_array_elements_text(coalesce(d.d->'participantIds', '[]'::jsonb)))
            ) AS x ORDER BY x
          ),
          closed_at = (d.d->>'closedAt')::timestamptz,
          write_fence = coalesce(d.f, deals.write_fence),
          updated_at = now()
        FROM (SELECT p.j->'deal' AS d, p.f FROM p) d
        WHERE deals.id = ${input.dealId} AND deals.projection_seq ${sql.raw(mode === 'forward' ? '<' : '<=')} (d.d->>'projectionSeq')::int
          AND NOT EXISTS (SELECT 1 FROM stale) AND (d.f IS NULL OR coalesce(deals.write_fence, 0) <= d.f)
        RETURNING 1
      ),
      cf AS (
        DELETE FROM deal_faults WHERE ${input.clearFault === true} AND deal_id = ${input.dealId}
          AND NOT EXISTS (SELECT 1 FROM stale)
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM ev) AS events, (SELECT count(*) FROM up) AS updated,
        (SELECT count(*) FROM cf) AS cleared, (SELECT count(*) FROM stale) AS stale
    `;
}

export function createDealRecordActivities({ db, publicUrl, onNotified, deliveryNeeded }: DealRecordsDeps) {
  /** The users of `ids` (one prepared statement: the ids travel as one JSON parameter). */
  async function userRows(ids: string[]) {
    if (ids.length === 0) return [];
    return executePrepared<{ id: string; name: string; locale: string; managerId: string | null }>(
      db,
      sql`SELECT id, name, locale, manager_id AS "managerId" FROM users
        WHERE id = ANY(ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)))`,
    );
  }

  /** Active members of any of the groups, each with their groups, by id (deactivated users are no one's). */
  async function groupMembers(groups: string[]) {
    if (groups.length === 0) return [];
    return db
      .select({ id: users.id, groups: users.groups })
      .from(users)
      .where(
        sql`${users.groups} && ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify(groups)}::jsonb))
          AND ${users.deactivatedAt} IS NULL`,
      )
      .orderBy(users.id);
  }

  async function outboxRows(dealId: string, intents: NotifyIntent[]): Promise<OutboxRow[]> {
    const wanted = [...new Set(intents.flatMap((i) => i.userIds))];
    const waitingIds = [
      ...new Set(
        intents.flatMap((i) =>
          ((i.data.waitingOn as { userId: string }[] | undefined) ?? []).map((w) => w.userId),
        ),
      ),
    ];
    const people = new Map((await userRows([...new Set([...wanted, ...waitingIds])])).map((u) => [u.id, u]));
    const rows: OutboxRow[] = [];
    for (const intent of intents) {
      const d = intent.data;
      const context: NotificationContext = {
        event: intent.event,
        dealId,
        dealTitle: String(d.dealTitle ?? ''),
        accountName: String(d.accountName ?? ''),
        stage: intent.stage ?? '',
        stageName: (d.stageName as NotificationContext['stageName']) ?? {
          en: intent.stage ?? '',
          zh: intent.stage ?? '',
        },
        dueAt: (d.dueAt as string | null | undefined) ?? null,
        ...(d.role ? { role: String(d.role) } : {}),
        ...(typeof d.timeLeftMs === 'number' ? { timeLeftMs: d.timeLeftMs } : {}),
        ...(typeof d.level === 'number' ? { escalationLevel: d.level } : {}),
        ...(d.waitingOn
          ? {
              waitingOn: (d.waitingOn as { role: string; userId: string }[]).map((w) => ({
                role: w.role,
                userName: people.get(w.userId)?.name ?? w.userId,
              })),
            }
          : {}),
        ...(d.decision ? { decision: d.decision as 'approve' | 'reject' } : {}),
        ...(d.reason ? { reason: String(d.reason) } : {}),
        ...(d.targetStage ? { targetStage: String(d.targetStage) } : {}),
        ...(d.targetStageName ? { targetStageName: d.targetStageName as { en: string; zh: string } } : {}),
      };
      for (const userId of new Set(intent.userIds)) {
        const person = people.get(userId);
        if (!person) continue; // unknown user: nobody to tell
        const locale: Locale = person.locale === 'zh' ? 'zh' : 'en';
        const dedupeKey = `${dealId}:${intent.stage ?? '-'}:${intent.dedupe}:${intent.kind}:${intent.event}:${userId}`;
        const message = renderNotification(intent.kind, context, locale, dealLink(publicUrl, dealId));
        rows.push({
          id: notificationId(dedupeKey),
          dedupeKey,
          dealId,
          stage: intent.stage,
          kind: intent.kind,
          event: intent.event,
          userId,
          text: message.text,
          context,
        });
      }
    }
    return rows;
  }

  /**
   * After a write inserted fewer events than it sent: rows of this deal that conflict with the sent
   * events (the same seq under another event key, the same event key at another seq, or the same seq
   * and key with other content) are a ghost's,
   * a write whose workflow task never completed. If there are any, remove them (and the sign-offs
   * their sign-off events stood for), then write again, all in one transaction; the workflow wins.
   * Identical rows (a retry) are no conflict: nothing happens.
   *
   * Unless a conflicting row has a higher fence: then THIS write is the ghost (a superseded attempt's,
   * committing late, maybe while the real write was committing); it takes back whatever it inserted
   * (its own rows, by fence) and leaves the rest alone. Returns whether this write was stale.
   */
  async function replaceGhosts(input: RecordInput, json: string): Promise<boolean> {
    const fence = fenceOf(input);
    // Rows this write may replace: none stored with a higher fence (a write racing this one).
    const notNewer = (column: SQL) =>
      sql`(${fence}::bigint IS NULL OR coalesce(${column}, 0) <= ${fence}::bigint)`;
    const sent = sql`(SELECT x.* FROM jsonb_to_recordset(${json}::jsonb->'events') AS x(seq int, key text, type text,
      at timestamptz, stage text, "actorId" text, "onBehalfOfId" text, data jsonb))`;
    // A retry sends exactly what is stored; a redelivered command written by a ghost at the same seq
    // and key differs at least in its time, so it is replaced too.
    const conflicts = sql`deal_events e WHERE e.deal_id = ${input.dealId} AND EXISTS (
      SELECT 1 FROM ${sent} s WHERE (s.seq = e.seq AND s.key <> e.event_key) OR (s.key = e.event_key AND s.seq <> e.seq)
        OR (s.seq = e.seq AND s.key = e.event_key AND (s.type, s.at, s.stage, s."actorId", s."onBehalfOfId", s.data)
          IS DISTINCT FROM (e.type, e.at, e.stage, e.actor_id, e.on_behalf_of_id, e.data)))`;
    const found = await executeOrRefuse(() =>
      db.execute<{ newer: boolean }>(
        sql`SELECT bool_or(${fence}::bigint IS NOT NULL AND coalesce(e.fence, 0) > ${fence}::bigint) AS newer
          FROM ${conflicts} HAVING count(*) > 0`,
      ),
    );
    if (found.length === 0) return false;
    if (found[0].newer) {
      await takeBackStale(input, json, fence as number);
      return true;
    }
    const replaced = await executeOrRefuse(() =>
      db.transaction(async (tx) => {
        const ghosts = await tx.execute<{ seq: number; event_key: string }>(sql`
          WITH g AS (DELETE FROM ${conflicts} AND ${notNewer(sql`e.fence`)} RETURNING e.seq, e.event_key, e.type),
          gs AS (
            DELETE FROM signoffs so USING g
            WHERE so.deal_id = ${input.dealId} AND g.type LIKE 'signoff.%'
              AND g.event_key = so.stage_key || ':' || so.visit || ':signoff:' || so.role
              AND ${notNewer(sql`so.fence`)}
            RETURNING 1
          )
          SELECT g.seq, g.event_key FROM g ORDER BY g.seq`);
        await tx.execute(writeStatement(input, json, 'replace'));
        await summariesIn(tx, input);
        return ghosts;
      }),
    );
    log.warn('deal write replaced rows of a ghost write (a write the workflow never recorded)', {
      dealId: input.dealId,
      seqs: replaced.map((g) => g.seq),
      eventKeys: replaced.map((g) => g.event_key),
    });
    return false;
  }

  /**
   * A stale write (a superseded attempt's late ghost) removes the events and sign-offs it stored
   * itself (its fence, its seqs and roles): rows it could only have inserted while racing the real
   * write. The projection and conflicting rows were never its to change (fenced).
   */
  async function takeBackStale(input: RecordInput, json: string, fence: number): Promise<void> {
    const removed = await executeOrRefuse(() =>
      db.execute<{ seq: number }>(sql`
        WITH p AS (SELECT ${json}::jsonb AS j),
        ge AS (
          DELETE FROM deal_events e USING p, jsonb_to_recordset(p.j->'events') AS x(seq int, key text)
          WHERE e.deal_id = ${input.dealId} AND e.fence = ${fence}::bigint AND e.seq = x.seq AND e.event_key = x.key
          RETURNING e.seq
        ),
        gs AS (
          DELETE FROM signoffs so USING p, jsonb_to_recordset(p.j->'signoffs') AS x("stageKey" text, visit int, role text)
          WHERE so.deal_id = ${input.dealId} AND so.fence = ${fence}::bigint
            AND (so.stage_key, so.visit, so.role) = (x."stageKey", x.visit, x.role)
          RETURNING 1
        )
        SELECT seq FROM ge ORDER BY seq`),
    );
    log.warn('deal write is a superseded workflow task’s late ghost (older fence): it changed nothing', {
      dealId: input.dealId,
      fence,
      seqs: input.events.map((e) => e.seq),
      removed: removed.map((r) => r.seq),
    });
  }

  return {
    /** Users who may sign for each approver: triangle holders, the AR's manager, group members. */
    async resolveApprovers(input: ResolveApproversInput): Promise<RequiredApprover[]> {
      const needsManager = input.approvers.some((a) => a.approver === 'manager');
      const groups = input.approvers
        .filter((a) => a.approver.startsWith('group:'))
        .map((a) => a.approver.slice(6));
      const ar = needsManager ? (await userRows([input.triangle.AR]))[0] : undefined;
      const members = await groupMembers(groups);
      const resolved: RequiredApprover[] = input.approvers.map(({ approver, conditional }) => {
        let userIds: string[];
        if (approver === 'AR' || approver === 'SR' || approver === 'FR') userIds = [input.triangle[approver]];
        else if (approver === 'manager') userIds = ar?.managerId ? [ar.managerId] : [];
        else userIds = members.filter((m) => m.groups.includes(approver.slice(6))).map((m) => m.id);
        return { approver, userIds, conditional };
      });
      if (resolved.some((r) => r.userIds.length === 0)) {
        // Nobody fills it: ops stand in, so the stage can still be decided and is never silently stuck.
        const ops = await db
          .select({ id: users.id })
          .from(users)
          .where(sql`${users.roles} && ARRAY['ops']::text[]`)
          .orderBy(users.id);
        for (const r of resolved) {
          if (r.userIds.length === 0 && ops.length) {
            r.userIds = ops.map((o) => o.id);
            r.standIn = true;
          }
        }
      }
      return resolved;
    },

    /** Escalation targets from the org chart as it is now. */
    async resolveEscalationTargets(input: ResolveTargetsInput): Promise<string[]> {
      const out = new Set<string>();
      const pending = await userRows(input.pendingUserIds);
      const managers = [...new Set(pending.map((p) => p.managerId).filter((m): m is string => !!m))];
      const managerRows = input.targets.includes('manager+1') ? await userRows(managers) : [];
      const members = await groupMembers(
        input.targets.filter((t) => t.startsWith('group:')).map((t) => t.slice(6)),
      );
      for (const target of input.targets) {
        if (target === 'manager') for (const m of managers) out.add(m);
        else if (target === 'manager+1') {
          for (const m of managerRows) if (m.managerId) out.add(m.managerId);
        } else if (target === 'AR' || target === 'SR' || target === 'FR') out.add(input.triangle[target]);
        else for (const m of members) if (m.groups.includes(target.slice(6))) out.add(m.id);
      }
      return [...out].sort();
    },

    /** Write events, projection, sign-offs, stage visits and outbox rows in one statement. */
    async recordDeal(input: RecordInput): Promise<RecordResult> {
      if (input.events.length === 0) {
        throw ApplicationFailure.nonRetryable('recordDeal needs at least one event', 'InvalidDealData');
      }
      const notifications = input.notify?.length ? await outboxRows(input.dealId, input.notify) : [];
      const payload = {
        events: input.events,
        deal: input.deal,
        signoffs: [...(input.signoff ? [input.signoff] : []), ...(input.signoffs ?? [])],
        visits: [...(input.stageVisit ? [input.stageVisit] : []), ...(input.stageVisits ?? [])],
        notifications,
      };
      const json = storableJson(payload);
      // Asked alongside the write (another connection), so it adds no round trip to the write's.
      const mayDeliver =
        input.deferDelivery && onNotified && notifications.length && deliveryNeeded
          ? deliveryNeeded().catch(() => true)
          : Promise.resolve(true);
      // Prepared: one round trip to Postgres (see executePrepared). A write that completes the deal
      // runs in a transaction with its credit summary (withSummaries), unprepared there.
      const forward = writeStatement(input, json, 'forward');
      const [first] = await executeOrRefuse(() =>
        completesDeal(input)
          ? withSummaries(db, input, async (q) => (await q.execute(forward)) as unknown as WriteCounts[])
          : executePrepared<WriteCounts>(db, forward),
      );
      // Delivery of every outbox row of this write, new or not: a retry after a crash must not drop a
      // notification, and delivery itself dedupes on the notification id. A command's write leaves
      // it to the workflow, off the caller's path.
      const deliver = async (ids: string[], written: string[]): Promise<RecordResult> => {
        if (input.deferDelivery) return { deferred: onNotified && (await mayDeliver) ? ids : [], written };
        if (onNotified && ids.length) await onNotified(ids.map((id) => ({ id })));
        return { deferred: [], written };
      };
      // A write found stale changes nothing. It may still be the attempt the workflow records: two
      // attempts of one workflow task can race (a chaos run: the recorded one 12 ms older than the
      // other, whose result was lost), and then the outbox rows are the other's, with the same ids.
      // So the rows of this write that are stored are delivered all the same.
      const ids = notifications.map((n) => n.id);
      const storedRows = async () => {
        if (ids.length === 0) return [];
        const rows = await executeOrRefuse(() =>
          db.execute<{ id: string }>(sql`SELECT id FROM notifications
            WHERE id = ANY(ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)))`),
        );
        const stored = new Set(rows.map((r) => r.id));
        const found = ids.filter((id) => stored.has(id));
        if (found.length < ids.length) {
          // Only if the other attempt's notifications differ from this one's (a clock-driven step
          // seen at another time): the rest were never stored. Said, to be found in the logs.
          log.warn('a stale write’s notifications are not all in the outbox: those are not delivered', {
            dealId: input.dealId,
            missing: ids.filter((id) => !stored.has(id)),
          });
        }
        return found;
      };
      if (Number(first?.stale ?? 0) > 0) {
        await takeBackStale(input, json, fenceOf(input) as number);
        return deliver(await storedRows(), []);
      }
      if (Number(first?.events ?? 0) < input.events.length && (await replaceGhosts(input, json))) {
        return deliver(await storedRows(), []);
      }
      return deliver(
        ids,
        input.events.map((e) => e.type),
      );
    },

    /**
     * Who fills `manager` (the AR's manager), each group the process names, and ops (stand-ins).
     * A deactivated user (`active: false`) fills none of them: a deactivated manager leaves
     * `manager` unfilled, so it falls to the ops stand-in, and deactivated members and ops are left
     * out of their groups and of the stand-ins.
     */
    async resolveDirectory(input: ResolveDirectoryInput) {
      // One prepared statement (one round trip): the AR's active manager, the active members of
      // the groups, and the active ops.
      const [row] = await executePrepared<{
        manager: string | null;
        members: { id: string; groups: string[] }[];
        ops: string[];
      }>(
        db,
        sql`SELECT
          (SELECT m.id FROM users a JOIN users m ON m.id = a.manager_id
            WHERE a.id = ${input.ar} AND m.deactivated_at IS NULL) AS manager,
          coalesce((SELECT jsonb_agg(jsonb_build_object('id', u.id, 'groups', u.groups) ORDER BY u.id)
            FROM users u
            WHERE u.groups && ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify(input.groups)}::jsonb))
              AND u.deactivated_at IS NULL), '[]'::jsonb) AS members,
          ARRAY(SELECT o.id FROM users o
            WHERE o.roles && ARRAY['ops']::text[] AND o.deactivated_at IS NULL ORDER BY o.id) AS ops`,
      );
      const members = row?.members ?? [];
      return {
        ar: input.ar,
        manager: row?.manager ?? null,
        groups: Object.fromEntries(
          input.groups.map((g) => [g, members.filter((m) => m.groups.includes(g)).map((m) => m.id)]),
        ),
        ops: row?.ops ?? [],
      };
    },

    async reportDealFault(input: DealFaultInput): Promise<void> {
      log.error('Postgres refuses or misses this deal’s writes; the workflow keeps them and retries', {
        dealId: input.dealId,
        seq: input.seq,
        error: input.error,
      });
      await db.execute(sql`
        INSERT INTO deal_faults (deal_id, since, error, seq)
        VALUES (${input.dealId}, ${input.since}, ${input.error}, ${input.seq})
        ON CONFLICT (deal_id) DO UPDATE SET error = EXCLUDED.error, updated_at = now()`);
    },

    async startDeliveries(input: { dealId: string; notificationIds: string[] }): Promise<void> {
      if (onNotified && input.notificationIds.length) {
        await onNotified(input.notificationIds.map((id) => ({ id })));
      }
    },
  };
}

export type DealRecordActivities = ReturnType<typeof createDealRecordActivities>;

// The activities implement what the workflow calls, exactly.
export type _Checked = DealRecordActivities extends DealActivities ? true : never;
