/**
 * Postgres schema (drizzle). Migrations are generated from this file with `npm run db:generate`
 * into db/migrations and applied by the drizzle migrator at start.
 *
 * Every write made by a workflow activity is idempotent: each table an activity writes has a unique
 * key built from the workflow id, the stage (and visit) and the event, and the insert uses
 * ON CONFLICT DO NOTHING.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  customType,
  doublePrecision,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const tz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

// ---------------------------------------------------------------------------------------------
// People and access
// ---------------------------------------------------------------------------------------------

export const users = pgTable(
  'users',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    email: text('email').notNull(),
    /** Subset of admin, ops, manager, member. */
    roles: text('roles').array().notNull().default(sql`'{}'::text[]`),
    /** Org chart: used for escalation (`manager`, `manager+1`) and visibility. */
    managerId: text('manager_id'),
    groups: text('groups').array().notNull().default(sql`'{}'::text[]`),
    locale: text('locale').notNull().default('en'),
    createdAt: tz('created_at').notNull().defaultNow(),
    /** Set by an admin (`active: false`): every token of the user answers 401 until it is cleared. */
    deactivatedAt: tz('deactivated_at'),
  },
  (t) => [uniqueIndex('users_email_uq').on(t.email), index('users_manager_idx').on(t.managerId)],
);

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    /** sha256 of the token; the token itself is shown once and never stored. */
    tokenHash: text('token_hash').notNull(),
    label: text('label'),
    createdAt: tz('created_at').notNull().defaultNow(),
    revokedAt: tz('revoked_at'),
    /** Optional: from then on the token answers 401. */
    expiresAt: tz('expires_at'),
  },
  (t) => [uniqueIndex('api_tokens_hash_uq').on(t.tokenHash), index('api_tokens_user_idx').on(t.userId)],
);

/**
 * Rate-limit buckets shared by every API replica (api/http/rate-limit.ts): one row per bucket
 * (`w:<user>`, `r:<user>`, `auth:<client address>`), a GCRA "theoretical arrival time". The
 * migration creates it UNLOGGED (drizzle-kit cannot say so): no WAL, no fsync; after a crash
 * Postgres empties it, which only resets the limits. Idle rows (`tat` in the past) are swept.
 */
export const rateLimitBuckets = pgTable('rate_limit_buckets', {
  key: text('key').primaryKey(),
  /** When the bucket is full again; each allowed request moves it one emission interval later. */
  tat: tz('tat').notNull(),
  /** Whether the last request on this bucket was allowed (read back in the same statement). */
  allowed: boolean('allowed').notNull(),
  /** Time of the last request on this bucket (the statement's clock). */
  seenAt: tz('seen_at').notNull(),
});

/** Out-of-office delegation: the delegate may sign the user's roles between validFrom and validUntil. */
export const delegations = pgTable('delegations', {
  userId: text('user_id')
    .primaryKey()
    .references(() => users.id),
  delegateId: text('delegate_id')
    .notNull()
    .references(() => users.id),
  validFrom: tz('valid_from').notNull(),
  validUntil: tz('valid_until').notNull(),
  updatedAt: tz('updated_at').notNull().defaultNow(),
});

// ---------------------------------------------------------------------------------------------
// Process definitions: immutable versions
// ---------------------------------------------------------------------------------------------

export const processVersions = pgTable(
  'process_versions',
  {
    key: text('key').notNull(),
    version: integer('version').notNull(),
    checksum: text('checksum').notNull(),
    definition: jsonb('definition').notNull(),
    createdBy: text('created_by'),
    createdAt: tz('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.key, t.version] })],
);

// ---------------------------------------------------------------------------------------------
// Accounts: the customer the company owns, its account team and its decision chain
// ---------------------------------------------------------------------------------------------

export const accounts = pgTable(
  'accounts',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    /** strategic | core | growth | general */
    tier: text('tier').notNull().default('general'),
    industry: text('industry'),
    region: text('region'),
    notes: text('notes'),
    /** The account team (apart from any deal): three people unless the default process allows a pair. */
    arId: text('ar_id'),
    srId: text('sr_id'),
    frId: text('fr_id'),
    createdBy: text('created_by').notNull(),
    createdAt: tz('created_at').notNull().defaultNow(),
    updatedAt: tz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('accounts_name_uq').on(t.name),
    index('accounts_ar_idx').on(t.arId),
    index('accounts_sr_idx').on(t.srId),
    index('accounts_fr_idx').on(t.frId),
  ],
);

/** Who held each account-team role, and when (`until` null: holds it now). */
export const accountRoleHistory = pgTable(
  'account_role_history',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    /** AR | SR | FR */
    role: text('role').notNull(),
    userId: text('user_id').notNull(),
    since: tz('since').notNull(),
    until: tz('until'),
    actorId: text('actor_id').notNull(),
    reason: text('reason'),
  },
  (t) => [index('account_role_history_account_idx').on(t.accountId, t.since)],
);

/** The customer's people: the decision chain belongs to the account, not to a rep. */
export const contacts = pgTable(
  'contacts',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    name: text('name').notNull(),
    title: text('title'),
    department: text('department'),
    /** decision_maker | influencer | user | gatekeeper | buyer */
    buyingRole: text('buying_role').notNull(),
    /** supporter | neutral | opponent | unknown */
    stance: text('stance').notNull().default('unknown'),
    /** 1..5 */
    influence: integer('influence').notNull().default(3),
    /** The person in our company who owns the relationship. */
    ownerId: text('owner_id'),
    createdBy: text('created_by').notNull(),
    createdAt: tz('created_at').notNull().defaultNow(),
    updatedAt: tz('updated_at').notNull().defaultNow(),
  },
  (t) => [index('contacts_account_idx').on(t.accountId), index('contacts_owner_idx').on(t.ownerId)],
);

export const contactInteractions = pgTable(
  'contact_interactions',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    contactId: text('contact_id')
      .notNull()
      .references(() => contacts.id),
    at: tz('at').notNull(),
    /** meeting | call | visit | email */
    kind: text('kind').notNull(),
    summary: text('summary').notNull(),
    actorId: text('actor_id').notNull(),
    createdAt: tz('created_at').notNull().defaultNow(),
  },
  (t) => [index('contact_interactions_contact_idx').on(t.contactId, t.at)],
);

// ---------------------------------------------------------------------------------------------
// Deals: the projection every reader uses, written only by workflow activities (and creation)
// ---------------------------------------------------------------------------------------------

export const deals = pgTable(
  'deals',
  {
    id: text('id').primaryKey(),
    workflowId: text('workflow_id').notNull(),
    title: text('title').notNull(),
    /** The account row (accounts.id); set for every deal since accounts exist (migrated ones too). */
    accountId: text('account_id'),
    accountName: text('account_name').notNull(),
    accountTier: text('account_tier'),
    /** YYYY-MM-DD; a `field` requirement may ask for it (`deal.expectedCloseDate`). */
    expectedCloseDate: text('expected_close_date'),
    valueAmount: numeric('value_amount', { precision: 20, scale: 2, mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    /** active | on_hold | completed | lost | cancelled */
    status: text('status').notNull(),
    processKey: text('process_key').notNull(),
    processVersion: integer('process_version').notNull(),
    arId: text('ar_id').notNull(),
    srId: text('sr_id').notNull(),
    frId: text('fr_id').notNull(),
    stageKey: text('stage_key'),
    stageIndex: integer('stage_index'),
    stageVisit: integer('stage_visit'),
    stageEnteredAt: tz('stage_entered_at'),
    dueAt: tz('due_at'),
    escalationLevel: integer('escalation_level').notNull().default(0),
    /** Required approvers of the current stage visit: [{approver, userIds}] */
    required: jsonb('required').notNull().default(sql`'[]'::jsonb`),
    /** Who the current stage still waits on: [{role, userId}] */
    waitingOn: jsonb('waiting_on').notNull().default(sql`'[]'::jsonb`),
    pendingUserIds: text('pending_user_ids').array().notNull().default(sql`'{}'::text[]`),
    /**
     * Everyone ever asked to sign on this deal beyond its triangle (the AR's manager, group members,
     * ops standing in): they keep seeing the deal.
     */
    participantIds: text('participant_ids').array().notNull().default(sql`'{}'::text[]`),
    /** Highest event seq applied to this row; projection writes only move forward. */
    projectionSeq: integer('projection_seq').notNull().default(0),
    /**
     * The fence of the write that last set the projection (see deal_events.fence): a write with an
     * older fence never moves it.
     */
    writeFence: bigint('write_fence', { mode: 'number' }),
    createdBy: text('created_by').notNull(),
    idempotencyKey: text('idempotency_key'),
    createdAt: tz('created_at').notNull().defaultNow(),
    updatedAt: tz('updated_at').notNull().defaultNow(),
    closedAt: tz('closed_at'),
  },
  (t) => [
    uniqueIndex('deals_idempotency_uq').on(t.createdBy, t.idempotencyKey),
    index('deals_status_stage_idx').on(t.status, t.stageKey),
    index('deals_ar_idx').on(t.arId),
    index('deals_sr_idx').on(t.srId),
    index('deals_fr_idx').on(t.frId),
    index('deals_due_idx').on(t.dueAt),
    index('deals_participants_idx').using('gin', t.participantIds),
    index('deals_pending_idx').using('gin', t.pendingUserIds),
    index('deals_account_idx').on(t.accountId),
    // Lists page newest first (GET /deals): read backwards in index order, no sort of every visible deal.
    index('deals_created_idx').on(t.createdAt, t.id),
    // The credit report: completed deals closed in a period.
    index('deals_completed_closed_idx').on(t.closedAt).where(sql`status = 'completed'`),
    // The pipeline report as ops: an index-only scan of the active deals, already in group order
    // (migration 0008 adds INCLUDE (value_amount), which drizzle-kit cannot express).
    index('deals_active_pipeline_idx')
      .on(t.processKey, t.processVersion, t.stageKey, t.stageIndex, t.currency)
      .where(sql`status = 'active'`),
    // The SLA report: active deals overdue now (count, and the oldest due first).
    index('deals_active_due_idx').on(t.dueAt, t.id).where(sql`status = 'active'`),
  ],
);

/** Append-only timeline. `seq` is assigned by the workflow; `event_key` dedupes retried activities. */
export const dealEvents = pgTable(
  'deal_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    dealId: text('deal_id')
      .notNull()
      .references(() => deals.id),
    seq: integer('seq').notNull(),
    eventKey: text('event_key').notNull(),
    type: text('type').notNull(),
    at: tz('at').notNull(),
    stage: text('stage'),
    actorId: text('actor_id').notNull(),
    onBehalfOfId: text('on_behalf_of_id'),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    /**
     * The fencing token of the write that stored the row: the workflow's time when it scheduled the
     * write, which grows strictly across workflow task attempts (and across Continue-As-New). A write
     * that meets a conflicting row with a higher fence is a superseded attempt's late ghost and changes
     * nothing. Null: written before fences (counts as the lowest).
     */
    fence: bigint('fence', { mode: 'number' }),
  },
  (t) => [
    uniqueIndex('deal_events_seq_uq').on(t.dealId, t.seq),
    uniqueIndex('deal_events_key_uq').on(t.dealId, t.eventKey),
    index('deal_events_type_at_idx').on(t.type, t.at),
  ],
);

/** One row per decided role per stage visit. */
export const signoffs = pgTable(
  'signoffs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    dealId: text('deal_id')
      .notNull()
      .references(() => deals.id),
    stageKey: text('stage_key').notNull(),
    visit: integer('visit').notNull(),
    role: text('role').notNull(),
    /** The holder of the role the sign-off is for. */
    userId: text('user_id').notNull(),
    /** Who actually signed: the holder, a delegate, or `system`. */
    actorId: text('actor_id').notNull(),
    decision: text('decision').notNull(),
    comment: text('comment'),
    at: tz('at').notNull(),
    /** The fence of the write that stored the row (see deal_events.fence). */
    fence: bigint('fence', { mode: 'number' }),
  },
  (t) => [uniqueIndex('signoffs_visit_role_uq').on(t.dealId, t.stageKey, t.visit, t.role)],
);

/** One row per finished stage visit: durations, escalations, holders (credit and SLA reports). */
export const stageVisits = pgTable(
  'stage_visits',
  {
    dealId: text('deal_id')
      .notNull()
      .references(() => deals.id),
    stageKey: text('stage_key').notNull(),
    visit: integer('visit').notNull(),
    stageIndex: integer('stage_index').notNull(),
    enteredAt: tz('entered_at').notNull(),
    exitedAt: tz('exited_at').notNull(),
    dueAt: tz('due_at'),
    /** approved | rejected | auto_approved | auto_rejected | cancelled */
    outcome: text('outcome').notNull(),
    breached: boolean('breached').notNull().default(false),
    escalations: integer('escalations').notNull().default(0),
    /** Role holders at exit: {AR, SR, FR} */
    holders: jsonb('holders').notNull(),
    /** Stage weights from the pinned definition: {AR, SR, FR} */
    weights: jsonb('weights').notNull(),
    signers: jsonb('signers').notNull().default(sql`'[]'::jsonb`),
  },
  (t) => [
    primaryKey({ columns: [t.dealId, t.stageKey, t.visit] }),
    // The SLA report: visits exited in a period.
    index('stage_visits_exited_idx').on(t.exitedAt),
  ],
);

// ---------------------------------------------------------------------------------------------
// Report summaries (migration 0008): kept with the rows they summarise, read by api/reports
// ---------------------------------------------------------------------------------------------

/**
 * One row per stage visit with what the SLA report needs and nothing else: the deal's process, the
 * time in stage, whether it was cancelled or breached. Written by a trigger on `stage_visits` in the
 * same statement as the visit (statement-level, so a bulk insert costs one INSERT … SELECT); a
 * deal's process key and version never change. Covered by its exit-time index: an index-only scan.
 */
export const stageVisitSummaries = pgTable(
  'stage_visit_summaries',
  {
    dealId: text('deal_id').notNull(),
    stageKey: text('stage_key').notNull(),
    visit: integer('visit').notNull(),
    processKey: text('process_key').notNull(),
    processVersion: integer('process_version').notNull(),
    stageIndex: integer('stage_index').notNull(),
    exitedAt: tz('exited_at').notNull(),
    /** extract(epoch from (exited_at - entered_at)) * 1000, as the report computed it. */
    durationMs: doublePrecision('duration_ms').notNull(),
    cancelled: boolean('cancelled').notNull(),
    breached: boolean('breached').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.dealId, t.stageKey, t.visit] }),
    // INCLUDE (every other column the report reads) in migration 0008: drizzle-kit cannot say so.
    index('stage_visit_summaries_exited_idx').on(t.exitedAt),
  ],
);

/**
 * One row per `stage.escalated` event (with a stage), with the deal's process: written by a trigger
 * on `deal_events` (fired only for that type), removed with its event (a ghost's, see deal-records).
 */
export const stageEscalations = pgTable(
  'stage_escalations',
  {
    eventId: bigint('event_id', { mode: 'number' })
      .primaryKey()
      .references(() => dealEvents.id, { onDelete: 'cascade' }),
    dealId: text('deal_id').notNull(),
    at: tz('at').notNull(),
    stage: text('stage').notNull(),
    processKey: text('process_key').notNull(),
    processVersion: integer('process_version').notNull(),
  },
  // INCLUDE (stage, process_key, process_version, deal_id) in migration 0008.
  (t) => [index('stage_escalations_at_idx').on(t.at)],
);

/**
 * Credit each user earned on a completed deal (`creditForDeal`, rounded to cents), one row per
 * (deal, user): written by the deal's completing write in the same transaction
 * (db/deal-credits.ts), and by the backfill after the migrations for deals completed before.
 */
export const dealCredits = pgTable(
  'deal_credits',
  {
    dealId: text('deal_id')
      .notNull()
      .references(() => deals.id),
    userId: text('user_id').notNull(),
    currency: text('currency').notNull(),
    processKey: text('process_key').notNull(),
    closedAt: tz('closed_at').notNull(),
    credit: numeric('credit', { precision: 20, scale: 2, mode: 'string' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.dealId, t.userId] }),
    // Both INCLUDE (currency, process_key, credit, and user_id) in migration 0008.
    index('deal_credits_closed_idx').on(t.closedAt),
    index('deal_credits_user_closed_idx').on(t.userId, t.closedAt),
  ],
);

/**
 * Deals whose writes Postgres refuses or misses right now (the workflow keeps them and retries):
 * shown to ops on the deal and in /metrics. The row goes when the deal's backlog lands.
 */
export const dealFaults = pgTable('deal_faults', {
  dealId: text('deal_id').primaryKey(),
  since: tz('since').notNull(),
  error: text('error').notNull(),
  /** The first timeline seq not written. */
  seq: integer('seq').notNull(),
  updatedAt: tz('updated_at').notNull().defaultNow(),
});

// ---------------------------------------------------------------------------------------------
// Notifications: outbox, per-channel deliveries, webhooks, preferences
// ---------------------------------------------------------------------------------------------

export const notifications = pgTable(
  'notifications',
  {
    /** Stable id derived from the dedupe key; receivers dedupe on it. */
    id: text('id').primaryKey(),
    /** (deal, stage, visit, kind, event, level, user) */
    dedupeKey: text('dedupe_key').notNull(),
    dealId: text('deal_id').notNull(),
    stage: text('stage'),
    /** task | reminder | escalation | decision | status */
    kind: text('kind').notNull(),
    event: text('event').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    text: text('text').notNull(),
    context: jsonb('context').notNull(),
    createdAt: tz('created_at').notNull().defaultNow(),
    readAt: tz('read_at'),
  },
  (t) => [
    uniqueIndex('notifications_dedupe_uq').on(t.dedupeKey),
    index('notifications_user_idx').on(t.userId, t.readAt, t.createdAt),
  ],
);

export const notificationDeliveries = pgTable(
  'notification_deliveries',
  {
    notificationId: text('notification_id')
      .notNull()
      .references(() => notifications.id),
    /** `email` or `webhook:<id>` */
    channel: text('channel').notNull(),
    /** pending | sent | failed */
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    updatedAt: tz('updated_at').notNull().defaultNow(),
    sentAt: tz('sent_at'),
  },
  (t) => [
    primaryKey({ columns: [t.notificationId, t.channel] }),
    index('deliveries_status_idx').on(t.status),
  ],
);

export const webhooks = pgTable('webhooks', {
  id: text('id').primaryKey(),
  url: text('url').notNull(),
  /** generic | wecom | dingtalk | feishu | slack */
  format: text('format').notNull(),
  secret: text('secret'),
  /** Notification kinds; null = all kinds. */
  events: text('events').array(),
  /** A user's own webhook; null = team-wide (scoped by teamManagerId, or everyone). */
  userId: text('user_id').references(() => users.id),
  teamManagerId: text('team_manager_id').references(() => users.id),
  createdBy: text('created_by').notNull(),
  createdAt: tz('created_at').notNull().defaultNow(),
  disabledAt: tz('disabled_at'),
});

export const notificationPreferences = pgTable('notification_preferences', {
  userId: text('user_id')
    .primaryKey()
    .references(() => users.id),
  /** { [kind]: channel[] } where channel is inbox | email | webhook */
  preferences: jsonb('preferences').notNull(),
  updatedAt: tz('updated_at').notNull().defaultNow(),
});

// ---------------------------------------------------------------------------------------------
// Offboarding: everything a person holds passes to a successor (its own workflow, `offboard-<user>`)
// ---------------------------------------------------------------------------------------------

/** One offboarding per person: a second request answers this one's report and does nothing more. */
export const offboardings = pgTable('offboardings', {
  userId: text('user_id')
    .primaryKey()
    .references(() => users.id),
  successorId: text('successor_id')
    .notNull()
    .references(() => users.id),
  reason: text('reason').notNull(),
  requestedBy: text('requested_by').notNull(),
  /** running | completed */
  status: text('status').notNull().default('running'),
  tokensRevoked: integer('tokens_revoked').notNull().default(0),
  delegationsEnded: integer('delegations_ended').notNull().default(0),
  startedAt: tz('started_at').notNull().defaultNow(),
  finishedAt: tz('finished_at'),
});

/** What an offboarding moved, or could not move and why; unique per item so retries write it once. */
export const offboardingItems = pgTable(
  'offboarding_items',
  {
    userId: text('user_id')
      .notNull()
      .references(() => offboardings.userId),
    /** deal | account | contact */
    kind: text('kind').notNull(),
    itemId: text('item_id').notNull(),
    /** AR | SR | FR for deals and accounts; '' for contacts. */
    role: text('role').notNull().default(''),
    /** moved | not_moved */
    outcome: text('outcome').notNull(),
    reason: text('reason'),
    at: tz('at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.kind, t.itemId, t.role] })],
);

// ---------------------------------------------------------------------------------------------
// Deal attachments: evidence for gates (a margin sheet, a contract draft), stored in Postgres
// ---------------------------------------------------------------------------------------------

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

export const dealAttachments = pgTable(
  'deal_attachments',
  {
    id: text('id').primaryKey(),
    dealId: text('deal_id')
      .notNull()
      .references(() => deals.id),
    /** What it is evidence of, e.g. `margin-sheet`, `contract-draft` (an `attachment` requirement names it). */
    kind: text('kind').notNull(),
    filename: text('filename').notNull(),
    contentType: text('content_type').notNull(),
    size: integer('size').notNull(),
    sha256: text('sha256').notNull(),
    content: bytea('content').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: tz('created_at').notNull().defaultNow(),
  },
  (t) => [index('deal_attachments_deal_idx').on(t.dealId, t.createdAt)],
);
