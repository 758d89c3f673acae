/**
 * The caller's sign-off tasks, read from the `deals` projection (never from workflow queries):
 * every `waiting_on` entry of an active deal whose user is the caller or someone whose active
 * delegate the caller is, soonest due first (no due date last).
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client';
import type { LocalizedText } from '../../domain/process/types';
import { actingFor } from '../auth/access';
import type { Principal } from '../auth/principal';
import { cursorFields, decodeCursor, type Page, page } from '../http/pagination';
import { getProcessVersion } from '../process-definitions/repo';

export interface TaskDto {
  dealId: string;
  title: string;
  stage: string;
  stageName: LocalizedText;
  role: string;
  onBehalfOfId: string | null;
  dueAt: string | null;
  overdue: boolean;
}

/**
 * Keyset of the ordering: due time (epoch microseconds, exact; null sorts last), deal, role, holder.
 * Validated strictly, so a forged cursor is a 400, never a database error.
 */
const TaskCursor = z.strictObject({
  due: z
    .string()
    .regex(/^-?[0-9]{1,18}$/)
    .nullable(),
  dealId: cursorFields.text,
  role: cursorFields.text,
  userId: cursorFields.text,
});

/** The due time in epoch microseconds (exact: `extract` answers numeric). */
const DUE_US = sql`(extract(epoch from d.due_at) * 1000000)::bigint`;

interface TaskRow extends Record<string, unknown> {
  deal_id: string;
  title: string;
  stage_key: string;
  process_key: string;
  process_version: number;
  due_iso: string | null;
  due_key: string | null;
  role: string;
  user_id: string;
  overdue: boolean;
}

export async function listTasks(
  db: Db,
  p: Principal,
  q: { limit: number; cursor?: string },
  at?: Date,
): Promise<Page<TaskDto>> {
  const ids = await actingFor(db, p, at);
  const now = at ?? new Date();
  const idsArray = sql`ARRAY[${sql.join(
    ids.map((id) => sql`${id}`),
    sql`, `,
  )}]::text[]`;
  const c = decodeCursor(q.cursor, TaskCursor);
  const tie = c ? sql`(d.id, w.role, w."userId") > (${c.dealId}, ${c.role}, ${c.userId})` : sql`true`;
  const after = !c
    ? sql`true`
    : c.due === null
      ? sql`(d.due_at IS NULL AND ${tie})`
      : sql`(${DUE_US} > ${c.due}::bigint OR (${DUE_US} = ${c.due}::bigint AND ${tie}) OR d.due_at IS NULL)`;
  const rows = await db.execute<TaskRow>(sql`
    SELECT d.id AS deal_id, d.title, d.stage_key, d.process_key, d.process_version,
           to_json(d.due_at) #>> '{}' AS due_iso, ${DUE_US}::text AS due_key, w.role, w."userId" AS user_id,
           (d.due_at IS NOT NULL AND d.due_at < ${now.toISOString()}::timestamptz) AS overdue
    FROM deals d
    CROSS JOIN LATERAL jsonb_to_recordset(d.waiting_on) AS w(role text, "userId" text)
    WHERE d.status = 'active'
      AND d.stage_key IS NOT NULL
      AND d.pending_user_ids && ${idsArray}
      AND w."userId" = ANY(${idsArray})
      AND ${after}
    ORDER BY d.due_at ASC NULLS LAST, d.id ASC, w.role ASC, w."userId" ASC
    LIMIT ${q.limit + 1}`);
  const p2 = page([...rows], q.limit, (last) => ({
    due: last.due_key,
    dealId: last.deal_id,
    role: last.role,
    userId: last.user_id,
  }));
  const items = await Promise.all(
    p2.items.map(async (r): Promise<TaskDto> => {
      const proc = await getProcessVersion(db, r.process_key, Number(r.process_version));
      const stageName = proc?.definition.stages.find((s) => s.key === r.stage_key)?.name ?? {
        en: r.stage_key,
        zh: r.stage_key,
      };
      return {
        dealId: r.deal_id,
        title: r.title,
        stage: r.stage_key,
        stageName,
        role: r.role,
        onBehalfOfId: r.user_id === p.id ? null : r.user_id,
        dueAt: r.due_iso === null ? null : new Date(r.due_iso).toISOString(),
        overdue: r.overdue,
      };
    }),
  );
  return { items, nextCursor: p2.nextCursor };
}
