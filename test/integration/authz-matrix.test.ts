/**
 * Authorisation matrix: EVERY endpoint of the app against five kinds of caller — anonymous, another
 * team's member, another team's manager, the wrong role, and the right user — on the real app,
 * Postgres and Temporal.
 *
 * The matrix is data: one entry per route (`'METHOD /express/path'`, exactly as registered). A
 * route registered without an entry, or an entry whose route no longer exists, fails the
 * "covers every route" test. To add a route, add one entry to MATRIX, e.g.
 *
 *   { route: 'GET /things/:id', vars: (f) => ({ id: ... }), anonymous: 401, otherMember: 404,
 *     otherManager: 404, wrongRole: { as: 'sr', status: 403 }, right: { as: 'manager', status: 200 } },
 *
 * A number means that status for the category's own caller; `{ as, status, body?, check? }` names
 * the caller; an array tries several; `{ na: 'why' }` marks a category that cannot apply. Entries
 * that change state get a fresh deal (or token, webhook…) from `setup`.
 *
 * Besides the status, every response is checked for leaks: a body never contains the title of a
 * deal the caller may not see (the two teams' deals carry distinct title markers).
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import request from 'supertest';
import { type App, createApp } from '../../api/app';
import type { ProcessDefinition } from '../../domain/process/types';
import {
  applyDefinition,
  createUser,
  eventually,
  startWorld,
  type TestUser,
  type World,
} from './support/world';

// ---------------------------------------------------------------------------------------------
// The people and the deals
// ---------------------------------------------------------------------------------------------

const OUR_TEAM = ['director', 'manager', 'ar', 'sr', 'fr', 'teammate', 'spare'] as const;
const OTHER_TEAM = ['otherManager', 'otherMember'] as const;
type UserKey = (typeof OUR_TEAM)[number] | (typeof OTHER_TEAM)[number] | 'ops' | 'admin';

interface Fixture {
  ns: string;
  users: Record<UserKey, TestUser>;
  /** Our team's deal: AR=ar, SR=sr, FR=fr, at stage `lead` (waits on AR). */
  deal: string;
  /** The other team's deal (all roles otherMember). */
  otherDeal: string;
  /** Deals of each team whose stage is past due (for the SLA report). */
  overdueDeal: string;
  otherOverdueDeal: string;
  /** A notification of ar's (the task of `deal`). */
  arNotification: string;
  processKey: string;
  /** Title marker of every deal of our team / the other team. */
  ourTitle: string;
  otherTitle: string;
  /** A fresh deal of our team (for entries that change a deal). */
  newDeal(): Promise<string>;
}

/** The other team is one person (otherMember holds every role), so the processes allow it. */
const onePersonTriangle: ProcessDefinition['separationOfDuties'] = {
  allowSamePerson: [
    ['AR', 'SR'],
    ['AR', 'FR'],
    ['SR', 'FR'],
  ],
};

const twoStages: ProcessDefinition = {
  key: 'matrix',
  name: { en: 'Matrix', zh: '矩阵' },
  separationOfDuties: onePersonTriangle,
  stages: [
    {
      key: 'lead',
      name: { en: 'Lead', zh: '线索' },
      approvers: ['AR'],
      rule: 'all',
      sla: { within: '1h' },
      weights: { AR: 1 },
    },
    {
      key: 'atb',
      name: { en: 'Bid decision', zh: '投标决策' },
      approvers: ['AR', 'SR', 'FR'],
      rule: 'all',
      sla: { within: '1h' },
      weights: { AR: 0.4, SR: 0.4, FR: 0.2 },
    },
  ],
};

/** One stage due a second after entry: overdue at once. */
const quick: ProcessDefinition = {
  key: 'matrix-quick',
  name: { en: 'Matrix quick', zh: '矩阵快速' },
  separationOfDuties: onePersonTriangle,
  stages: [
    {
      key: 'rush',
      name: { en: 'Rush', zh: '加急' },
      approvers: ['AR'],
      rule: 'all',
      sla: { within: '1s' },
      weights: { AR: 1 },
    },
  ],
};

// ---------------------------------------------------------------------------------------------
// The matrix
// ---------------------------------------------------------------------------------------------

type Vars = Record<string, string>;
/** A request body, or a function building it once the fixture exists. */
type Body = Record<string, unknown> | ((f: Fixture, vars: Vars) => unknown);

interface Attempt {
  /** Who calls (required for `wrongRole` and `right`; defaults to the category's user otherwise). */
  as?: UserKey;
  status: number;
  /** Replaces the entry's body for this attempt. */
  body?: Body;
  /** Extra assertions on the response (may also clean up after it). */
  check?: (res: request.Response, f: Fixture, vars: Vars) => void | Promise<void>;
}

/** A status (the category's default caller), one attempt or several, or not applicable (say why). */
type Expectation = number | Attempt | Attempt[] | { na: string };

interface MatrixEntry {
  /** `METHOD /path` exactly as registered (express syntax). */
  route: string;
  /** Fresh state for this entry; returns path variables (e.g. a new deal's `id`). */
  setup?: (f: Fixture) => Promise<Vars>;
  /** Path variables (default: `/deals/:id…` → our deal, `/users/:id…` → ar). */
  vars?: (f: Fixture) => Vars;
  /** Query string parameters. */
  query?: Record<string, string>;
  body?: Body;
  anonymous: Expectation;
  /** A member of another team (no role on our deals). */
  otherMember: Expectation;
  /** The manager of another team. */
  otherManager: Expectation;
  /** Someone who can see the thing but lacks the role (a member trying a manager action, SR as AR…). */
  wrongRole: Expectation;
  right: Expectation;
}

const CATEGORIES = ['anonymous', 'otherMember', 'otherManager', 'wrongRole', 'right'] as const;
type Category = (typeof CATEGORIES)[number];

const PUBLIC = { na: 'public route: no roles' } as const;
const SELF_SERVICE = { na: 'self-service: a caller only ever addresses their own data' } as const;

/** A route anyone may call, with or without a token. */
function publicRoute(route: string, status = 200): MatrixEntry {
  return {
    route,
    anonymous: status,
    otherMember: status,
    otherManager: status,
    wrongRole: PUBLIC,
    right: { as: 'ar', status },
  };
}

const ids = (res: request.Response): string[] => res.body.items.map((i: { id: string }) => i.id);
const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
const futureDelegation = (delegateId: string) => ({ delegateId, from: inHours(24), until: inHours(48) });
/** A webhook of the spare user's own, for escalations only: nothing else ever reaches it. */
const webhookBody = (f: Fixture) => ({
  url: 'https://hooks.example.com/matrix',
  format: 'generic',
  secret: 'matrix-secret',
  events: ['escalation'],
  userId: f.users.spare.id,
});

function dealBody(f: Fixture, triangle: { AR: string; SR: string; FR: string }, title = f.ourTitle) {
  return {
    title: `${title} ${randomUUID().slice(0, 4)}`,
    account: { name: 'Guangzhou Port Group' },
    value: { amount: 1000, currency: 'CNY' },
    triangle,
    process: { key: f.processKey },
  };
}
const ourTriangle = (f: Fixture) => ({ AR: f.users.ar.id, SR: f.users.sr.id, FR: f.users.fr.id });

const freshDeal = async (f: Fixture): Promise<Vars> => ({ id: await f.newDeal() });

/** Deal routes that change the deal: outsiders 404, visible non-managers 403, managers and ops 200. */
function managerCommand(
  route: string,
  body: Body | undefined,
  wrong: UserKey[],
  right: UserKey,
  setup = freshDeal,
) {
  return {
    route,
    setup,
    body,
    anonymous: 401,
    otherMember: 404,
    otherManager: 404,
    wrongRole: wrong.map((as) => ({ as, status: 403 })),
    right: { as: right, status: 200 },
  } satisfies MatrixEntry;
}

// --- accounts, contacts, attachments, offboarding ---

/** An account of our team (AR=ar, SR=sr, FR=fr), with one contact owned by ar. */
async function ourAccount(f: Fixture): Promise<{ id: string; contactId: string }> {
  const res = await request(app.app)
    .post('/accounts')
    .set(f.users.manager.auth)
    .send({ name: `Matrix account ${randomUUID()}`, team: ourTriangle(f) });
  expect(res.status).toBe(201);
  const contact = await request(app.app)
    .post(`/accounts/${res.body.id}/contacts`)
    .set(f.users.ar.auth)
    .send({ name: 'Matrix contact', buyingRole: 'decision_maker', ownerId: f.users.ar.id });
  expect(contact.status).toBe(201);
  return { id: res.body.id, contactId: contact.body.id };
}
const accountVars = async (f: Fixture): Promise<Vars> => ({ id: (await ourAccount(f)).id });
const contactVars = async (f: Fixture): Promise<Vars> => ({ id: (await ourAccount(f)).contactId });
/** A member of our team who is about to leave (offboarding revokes their tokens). */
async function leaver(f: Fixture): Promise<TestUser> {
  return createUser(world, { id: `mx-leaver-${randomUUID().slice(0, 6)}`, managerId: f.users.manager.id });
}
const READ_ONLY = { na: 'reading needs only visibility' } as const;
const ANY_VIEWER = { na: 'anyone who sees it may do this' } as const;
const attachment = {
  kind: 'margin-sheet',
  filename: 'm.csv',
  contentType: 'text/csv',
  content: Buffer.from('1,2').toString('base64'),
};

const ACCOUNT_MATRIX: MatrixEntry[] = [
  {
    route: 'POST /accounts',
    body: (f) => ({ name: `Matrix new ${randomUUID()}`, team: { AR: f.users.ar.id } }),
    anonymous: 401,
    // A member may create an account only with themselves on its team; any manager may.
    otherMember: 403,
    otherManager: 201,
    wrongRole: { as: 'sr', status: 403 },
    right: [
      { as: 'ar', status: 201 },
      { as: 'manager', status: 201 },
      { as: 'ops', status: 201 },
    ],
  },
  {
    route: 'GET /accounts',
    setup: accountVars,
    query: { limit: '200' },
    anonymous: 401,
    otherMember: { status: 200, check: (res, _f, v) => expect(ids(res)).not.toContain(v.id) },
    otherManager: { status: 200, check: (res, _f, v) => expect(ids(res)).not.toContain(v.id) },
    wrongRole: READ_ONLY,
    right: [
      { as: 'ar', status: 200, check: (res, _f, v) => expect(ids(res)).toContain(v.id) },
      { as: 'director', status: 200, check: (res, _f, v) => expect(ids(res)).toContain(v.id) },
    ],
  },
  {
    route: 'GET /accounts/:id',
    setup: accountVars,
    anonymous: 401,
    otherMember: 404,
    otherManager: 404,
    wrongRole: READ_ONLY,
    right: [
      { as: 'ar', status: 200 },
      { as: 'director', status: 200 },
      { as: 'ops', status: 200 },
    ],
  },
  {
    route: 'PATCH /accounts/:id',
    setup: accountVars,
    body: { tier: 'core' },
    anonymous: 401,
    otherMember: 404,
    otherManager: 404,
    wrongRole: { as: 'ar', status: 403 },
    right: [
      { as: 'manager', status: 200 },
      { as: 'ops', status: 200 },
    ],
  },
  {
    route: 'POST /accounts/:id/contacts',
    setup: accountVars,
    body: { name: 'New contact', buyingRole: 'user' },
    anonymous: 401,
    otherMember: 404,
    otherManager: 404,
    // A member may not give a relationship to someone else.
    wrongRole: {
      as: 'sr',
      status: 403,
      body: (f) => ({ name: 'X', buyingRole: 'user', ownerId: f.users.ar.id }),
    },
    right: [
      { as: 'sr', status: 201 },
      { as: 'manager', status: 201 },
    ],
  },
  {
    route: 'PATCH /contacts/:id',
    setup: contactVars,
    body: { stance: 'neutral' },
    anonymous: 401,
    otherMember: 404,
    otherManager: 404,
    wrongRole: { as: 'sr', status: 403, body: (f) => ({ ownerId: f.users.sr.id }) },
    right: [
      { as: 'ar', status: 200 },
      { as: 'manager', status: 200, body: (f) => ({ ownerId: f.users.sr.id }) },
    ],
  },
  {
    route: 'POST /contacts/:id/interactions',
    setup: contactVars,
    body: { at: '2026-11-20T10:00:00Z', kind: 'call', summary: 'Matrix call' },
    anonymous: 401,
    otherMember: 404,
    otherManager: 404,
    wrongRole: ANY_VIEWER,
    right: { as: 'ar', status: 201 },
  },
  {
    route: 'GET /contacts/:id/interactions',
    setup: contactVars,
    anonymous: 401,
    otherMember: 404,
    otherManager: 404,
    wrongRole: READ_ONLY,
    right: { as: 'fr', status: 200 },
  },
  {
    route: 'POST /deals/:id/attachments',
    setup: freshDeal,
    body: attachment,
    anonymous: 401,
    otherMember: 404,
    otherManager: 404,
    wrongRole: ANY_VIEWER,
    right: [
      { as: 'sr', status: 201 },
      { as: 'manager', status: 201 },
    ],
  },
  {
    route: 'GET /deals/:id/attachments',
    anonymous: 401,
    otherMember: 404,
    otherManager: 404,
    wrongRole: READ_ONLY,
    right: { as: 'fr', status: 200 },
  },
  {
    route: 'GET /deals/:id/attachments/:attachmentId',
    setup: async (f) => {
      const id = await f.newDeal();
      const res = await request(app.app)
        .post(`/deals/${id}/attachments`)
        .set(f.users.ar.auth)
        .send(attachment);
      expect(res.status).toBe(201);
      return { id, attachmentId: res.body.id };
    },
    anonymous: 401,
    otherMember: 404,
    otherManager: 404,
    wrongRole: READ_ONLY,
    right: { as: 'fr', status: 200 },
  },
  {
    route: 'POST /users/:id/offboard',
    setup: async (f) => ({ id: (await leaver(f)).id }),
    body: (f) => ({ successor: f.users.spare.id, reason: 'leaves the company' }),
    anonymous: 401,
    otherMember: 403,
    otherManager: 403,
    // Only an admin or the person's manager: not ops, not a teammate.
    wrongRole: [
      { as: 'ops', status: 403 },
      { as: 'ar', status: 403 },
    ],
    right: [
      { as: 'manager', status: 200 },
      { as: 'director', status: 200 },
      { as: 'admin', status: 200 },
    ],
  },
  {
    route: 'GET /users/:id/offboard',
    setup: async (f) => {
      const who = await leaver(f);
      const res = await request(app.app)
        .post(`/users/${who.id}/offboard`)
        .set(f.users.admin.auth)
        .send({ successor: f.users.spare.id, reason: 'leaves the company' });
      expect(res.status).toBe(200);
      return { id: who.id };
    },
    anonymous: 401,
    otherMember: 403,
    otherManager: 403,
    wrongRole: { as: 'ar', status: 403 },
    right: [
      { as: 'ops', status: 200 },
      { as: 'manager', status: 200 },
      { as: 'admin', status: 200 },
    ],
  },
];

const MATRIX: MatrixEntry[] = [
  ...ACCOUNT_MATRIX,
  // --- operability (public) ---
  publicRoute('GET /healthz'),
  publicRoute('GET /readyz'),
  publicRoute('GET /openapi.json'),
  publicRoute('GET /docs'),
  // Prometheus metrics: ops and admin only.
  {
    route: 'GET /metrics',
    anonymous: 401,
    otherMember: 403,
    otherManager: 403,
    wrongRole: [
      { as: 'manager', status: 403 },
      { as: 'ar', status: 403 },
    ],
    right: [
      { as: 'ops', status: 200, check: (res) => expect(res.text).toContain('http_request_duration_seconds') },
      { as: 'admin', status: 200 },
    ],
  },

  // --- deals ---
  {
    route: 'POST /deals',
    body: (f) => dealBody(f, ourTriangle(f)),
    anonymous: 401,
    // A member may create a deal only as its AR.
    otherMember: 403,
    // Managers create deals (for their own team here).
    otherManager: {
      status: 201,
      body: (f) => {
        const o = f.users.otherMember.id;
        return dealBody(f, { AR: o, SR: o, FR: o }, f.otherTitle);
      },
    },
    wrongRole: [{ as: 'sr', status: 403 }],
    right: [
      { as: 'ar', status: 201 },
      { as: 'manager', status: 201 },
      { as: 'ops', status: 201 },
    ],
  },
  {
    route: 'GET /deals',
    anonymous: 401,
    otherMember: { status: 200, check: (res, f) => expect(ids(res)).toContain(f.otherDeal) },
    otherManager: { status: 200, check: (res, f) => expect(ids(res)).not.toContain(f.deal) },
    // In the team but holding no role: sees none of the team's deals.
    wrongRole: { as: 'teammate', status: 200, check: (res) => expect(ids(res)).toEqual([]) },
    right: [
      { as: 'ar', status: 200, check: (res, f) => expect(ids(res)).toContain(f.deal) },
      { as: 'director', status: 200, check: (res, f) => expect(ids(res)).toContain(f.deal) },
      {
        as: 'ops',
        status: 200,
        check: (res, f) => expect(ids(res)).toEqual(expect.arrayContaining([f.deal, f.otherDeal])),
      },
    ],
  },
  {
    route: 'GET /deals/:id',
    anonymous: 401,
    otherMember: 404,
    otherManager: 404,
    wrongRole: { as: 'teammate', status: 404 },
    right: [
      { as: 'ar', status: 200, check: (res, f) => expect(res.body.id).toBe(f.deal) },
      { as: 'fr', status: 200 },
      { as: 'manager', status: 200 },
      { as: 'director', status: 200 },
      { as: 'ops', status: 200 },
      { as: 'admin', status: 200 },
    ],
  },
  {
    route: 'GET /deals/:id/timeline',
    anonymous: 401,
    otherMember: 404,
    otherManager: 404,
    wrongRole: { as: 'teammate', status: 404 },
    right: [
      { as: 'sr', status: 200, check: (res) => expect(res.body.items[0].type).toBe('deal.created') },
      { as: 'director', status: 200 },
      { as: 'ops', status: 200 },
    ],
  },
  {
    route: 'POST /deals/:id/signoffs',
    setup: freshDeal,
    body: { stage: 'lead', decision: 'approve' },
    anonymous: 401,
    otherMember: 404,
    otherManager: 404,
    wrongRole: [
      // SR signing as AR, SR at a stage that does not need SR, and managers/ops who hold no role.
      { as: 'sr', status: 403, body: { stage: 'lead', role: 'AR', decision: 'approve' } },
      { as: 'sr', status: 403 },
      { as: 'manager', status: 403 },
      { as: 'ops', status: 403 },
    ],
    right: { as: 'ar', status: 200 },
  },
  managerCommand(
    'POST /deals/:id/reassign',
    (f: Fixture) => ({ role: 'FR', userId: f.users.spare.id, reason: 'rotation' }),
    ['ar', 'fr'],
    'manager',
  ),
  managerCommand('POST /deals/:id/hold', { reason: 'budget freeze' }, ['ar', 'sr'], 'manager'),
  managerCommand('POST /deals/:id/resume', undefined, ['ar', 'fr'], 'ops', async (f) => {
    const id = await f.newDeal();
    const held = await request(app.app)
      .post(`/deals/${id}/hold`)
      .set(f.users.manager.auth)
      .send({ reason: 'budget freeze' });
    expect(held.status).toBe(200);
    return { id };
  }),
  managerCommand('POST /deals/:id/cancel', { reason: 'customer left' }, ['ar', 'sr'], 'director'),
  managerCommand('PATCH /deals/:id', { value: { amount: 2500, currency: 'CNY' } }, ['fr'], 'manager'),

  // --- users ---
  {
    route: 'POST /users',
    body: (f) => ({
      id: `matrix-new-${f.ns}`,
      name: 'New',
      email: `matrix-new-${f.ns}@example.test`,
      roles: ['member'],
    }),
    anonymous: 401,
    otherMember: 403,
    otherManager: 403,
    wrongRole: [
      { as: 'ops', status: 403 },
      { as: 'manager', status: 403 },
    ],
    right: { as: 'admin', status: 201, check: (res) => expect(res.body.token).toEqual(expect.any(String)) },
  },
  {
    route: 'GET /users',
    anonymous: 401,
    otherMember: {
      status: 200,
      check: (res, f) => expect(ids(res)).toEqual([f.users.otherMember.id]),
    },
    otherManager: {
      status: 200,
      check: (res, f) =>
        expect(ids(res).sort()).toEqual([f.users.otherManager.id, f.users.otherMember.id].sort()),
    },
    // A member lists only themselves.
    wrongRole: { as: 'sr', status: 200, check: (res, f) => expect(ids(res)).toEqual([f.users.sr.id]) },
    right: [
      { as: 'manager', status: 200, check: (res, f) => expect(ids(res)).toContain(f.users.ar.id) },
      // Admin lists everyone. The run's database is shared by the test files, so the first page may
      // be full of other files' users; then it is a full page with a cursor (paging: users.test.ts).
      {
        as: 'admin',
        status: 200,
        check: (res, f) => {
          if (res.body.nextCursor === null) {
            expect(ids(res)).toEqual(expect.arrayContaining([f.users.otherMember.id, f.users.ar.id]));
          } else {
            expect(ids(res)).toHaveLength(50);
          }
        },
      },
    ],
  },
  {
    route: 'GET /users/me',
    anonymous: 401,
    otherMember: { status: 200, check: (res, f) => expect(res.body.id).toBe(f.users.otherMember.id) },
    otherManager: { status: 200, check: (res, f) => expect(res.body.id).toBe(f.users.otherManager.id) },
    wrongRole: SELF_SERVICE,
    right: { as: 'ar', status: 200, check: (res, f) => expect(res.body.id).toBe(f.users.ar.id) },
  },
  {
    route: 'GET /users/me/delegation',
    setup: async (f) => {
      await setFutureDelegation(f.users.ar, f.users.sr.id);
      // The other team's own are cleared (the PUT case may have run first, in a random order).
      for (const who of [f.users.otherMember, f.users.otherManager]) {
        const res = await request(app.app).delete('/users/me/delegation').set(who.auth);
        expect([204, 404]).toContain(res.status);
      }
      return {};
    },
    anonymous: 401,
    // Nobody else's delegation is visible: theirs is not set.
    otherMember: 404,
    otherManager: 404,
    wrongRole: SELF_SERVICE,
    right: { as: 'ar', status: 200, check: (res, f) => expect(res.body.delegateId).toBe(f.users.sr.id) },
  },
  {
    route: 'PUT /users/me/delegation',
    anonymous: 401,
    otherMember: { status: 200, body: (f) => futureDelegation(f.users.otherManager.id) },
    otherManager: { status: 200, body: (f) => futureDelegation(f.users.otherMember.id) },
    wrongRole: SELF_SERVICE,
    right: { as: 'ar', status: 200, body: (f) => futureDelegation(f.users.fr.id) },
  },
  {
    route: 'DELETE /users/me/delegation',
    setup: async (f) => {
      await setFutureDelegation(f.users.ar, f.users.sr.id);
      return {};
    },
    anonymous: 401,
    otherMember: 204,
    otherManager: 204,
    wrongRole: SELF_SERVICE,
    right: { as: 'ar', status: 204 },
  },
  {
    route: 'GET /users/:id',
    anonymous: 401,
    otherMember: 404,
    otherManager: 404,
    // A member sees only themselves.
    wrongRole: { as: 'sr', status: 404 },
    right: [
      { as: 'ar', status: 200, check: (res, f) => expect(res.body.id).toBe(f.users.ar.id) },
      { as: 'manager', status: 200 },
      { as: 'director', status: 200 },
      { as: 'ops', status: 200 },
    ],
  },
  {
    // `active: true` leaves ar as they are; deactivation itself: auth-tokens.test.ts.
    route: 'PATCH /users/:id',
    body: { active: true },
    anonymous: 401,
    otherMember: 403,
    otherManager: 403,
    wrongRole: [
      { as: 'ar', status: 403 },
      { as: 'manager', status: 403 },
      { as: 'ops', status: 403 },
    ],
    right: {
      as: 'admin',
      status: 200,
      check: (res, f) => expect(res.body).toMatchObject({ id: f.users.ar.id, active: true }),
    },
  },
  {
    route: 'GET /users/:id/tokens',
    anonymous: 401,
    otherMember: 404,
    otherManager: 404,
    wrongRole: [
      { as: 'sr', status: 404 },
      { as: 'manager', status: 403 },
      { as: 'ops', status: 403 },
    ],
    right: [
      { as: 'ar', status: 200 },
      { as: 'admin', status: 200 },
    ],
  },
  {
    route: 'POST /users/:id/tokens',
    anonymous: 401,
    otherMember: 404,
    otherManager: 404,
    wrongRole: [
      { as: 'sr', status: 404 },
      { as: 'manager', status: 403 },
      { as: 'ops', status: 403 },
    ],
    right: [
      { as: 'ar', status: 201 },
      { as: 'admin', status: 201 },
    ],
  },
  {
    route: 'DELETE /users/:id/tokens/:tokenId',
    setup: async (f) => {
      const res = await request(app.app).post(`/users/${f.users.ar.id}/tokens`).set(f.users.ar.auth);
      expect(res.status).toBe(201);
      return { tokenId: res.body.id };
    },
    anonymous: 401,
    otherMember: 404,
    otherManager: 404,
    wrongRole: [
      { as: 'sr', status: 404 },
      { as: 'manager', status: 403 },
      { as: 'ops', status: 403 },
    ],
    right: { as: 'ar', status: 204 },
  },

  // --- me ---
  {
    route: 'GET /me/tasks',
    anonymous: 401,
    otherMember: {
      status: 200,
      check: (res, f) =>
        expect(res.body.items.map((t: { dealId: string }) => t.dealId)).toContain(f.otherDeal),
    },
    otherManager: { status: 200, check: (res) => expect(res.body.items).toEqual([]) },
    wrongRole: SELF_SERVICE,
    right: {
      as: 'ar',
      status: 200,
      check: (res, f) => expect(res.body.items.map((t: { dealId: string }) => t.dealId)).toContain(f.deal),
    },
  },

  // --- process definitions: everyone reads and validates, ops apply ---
  {
    route: 'POST /process-definitions',
    body: (f) => ({ ...twoStages, key: `matrix-applied-${f.ns}` }),
    anonymous: 401,
    otherMember: 403,
    otherManager: 403,
    wrongRole: [
      { as: 'manager', status: 403 },
      { as: 'ar', status: 403 },
    ],
    // The second apply of identical content answers the existing version.
    right: [
      { as: 'ops', status: 201 },
      { as: 'admin', status: 200 },
    ],
  },
  {
    route: 'POST /process-definitions/validate',
    body: (f) => ({ ...twoStages, key: `matrix-validated-${f.ns}` }),
    anonymous: 401,
    otherMember: 200,
    otherManager: 200,
    wrongRole: { na: 'any authenticated user may validate' },
    right: { as: 'ar', status: 200, check: (res) => expect(res.body.valid).toBe(true) },
  },
  {
    route: 'GET /process-definitions',
    anonymous: 401,
    otherMember: 200,
    otherManager: 200,
    wrongRole: { na: 'any authenticated user may read definitions' },
    right: { as: 'ar', status: 200 },
  },
  {
    route: 'GET /process-definitions/:key',
    vars: (f) => ({ key: f.processKey }),
    anonymous: 401,
    otherMember: 200,
    otherManager: 200,
    wrongRole: { na: 'any authenticated user may read definitions' },
    right: { as: 'ar', status: 200, check: (res, f) => expect(res.body.key).toBe(f.processKey) },
  },
  {
    route: 'GET /process-definitions/:key/versions/:version',
    vars: (f) => ({ key: f.processKey, version: '1' }),
    anonymous: 401,
    otherMember: 200,
    otherManager: 200,
    wrongRole: { na: 'any authenticated user may read definitions' },
    right: { as: 'ar', status: 200 },
  },
  {
    route: 'GET /process-definitions/:key/diff',
    vars: (f) => ({ key: f.processKey }),
    query: { from: '1', to: '1' },
    anonymous: 401,
    otherMember: 200,
    otherManager: 200,
    wrongRole: { na: 'any authenticated user may read definitions' },
    right: { as: 'ar', status: 200, check: (res) => expect(res.body.changed).toBe(false) },
  },

  // --- reports: managers (their reporting line) and ops; members 403 ---
  {
    route: 'GET /reports/pipeline',
    anonymous: 401,
    otherMember: 403,
    otherManager: 200,
    wrongRole: { as: 'ar', status: 403 },
    right: [
      { as: 'manager', status: 200 },
      { as: 'ops', status: 200 },
    ],
  },
  {
    route: 'GET /reports/sla',
    anonymous: 401,
    otherMember: 403,
    otherManager: {
      status: 200,
      check: (res, f) => {
        const overdue = res.body.overdue.map((d: { dealId: string }) => d.dealId);
        expect(overdue).toContain(f.otherOverdueDeal);
        expect(overdue).not.toContain(f.overdueDeal);
      },
    },
    wrongRole: { as: 'sr', status: 403 },
    right: [
      {
        as: 'manager',
        status: 200,
        check: (res, f) => {
          const overdue = res.body.overdue.map((d: { dealId: string }) => d.dealId);
          expect(overdue).toContain(f.overdueDeal);
          expect(overdue).not.toContain(f.otherOverdueDeal);
        },
      },
      { as: 'director', status: 200 },
      { as: 'ops', status: 200 },
    ],
  },
  {
    route: 'GET /reports/credit',
    anonymous: 401,
    otherMember: 403,
    otherManager: {
      status: 200,
      check: (res, f) => {
        const users = res.body.items.map((i: { userId: string }) => i.userId);
        for (const k of OUR_TEAM) expect(users).not.toContain(f.users[k].id);
      },
    },
    wrongRole: { as: 'fr', status: 403 },
    right: [
      { as: 'manager', status: 200 },
      { as: 'ops', status: 200 },
    ],
  },

  // --- notifications: one's own inbox and preferences; webhooks and deliveries are for ops ---
  {
    route: 'GET /me/notifications',
    anonymous: 401,
    otherMember: 200,
    otherManager: 200,
    wrongRole: SELF_SERVICE,
    right: {
      as: 'ar',
      status: 200,
      check: (res, f) => expect(res.body.items.map((n: { id: string }) => n.id)).toContain(f.arNotification),
    },
  },
  {
    route: 'POST /me/notifications/:id/read',
    vars: (f) => ({ id: f.arNotification }),
    anonymous: 401,
    otherMember: 404,
    otherManager: 404,
    // Someone else's notification, even on a deal the caller sees.
    wrongRole: [
      { as: 'manager', status: 404 },
      { as: 'ops', status: 404 },
    ],
    right: { as: 'ar', status: 200, check: (res) => expect(res.body.readAt).toEqual(expect.any(String)) },
  },
  {
    route: 'GET /users/me/notification-preferences',
    anonymous: 401,
    otherMember: 200,
    otherManager: 200,
    wrongRole: SELF_SERVICE,
    right: { as: 'ar', status: 200 },
  },
  {
    route: 'PUT /users/me/notification-preferences',
    body: {},
    anonymous: 401,
    otherMember: 200,
    otherManager: 200,
    wrongRole: SELF_SERVICE,
    right: { as: 'ar', status: 200 },
  },
  {
    route: 'POST /webhooks',
    body: (f) => webhookBody(f),
    anonymous: 401,
    otherMember: 403,
    otherManager: 403,
    wrongRole: { as: 'manager', status: 403 },
    right: {
      as: 'ops',
      status: 201,
      // Remove it again: it is no part of any other test.
      check: async (res, f) => {
        const del = await request(app.app).delete(`/webhooks/${res.body.id}`).set(f.users.ops.auth);
        expect(del.status).toBe(204);
      },
    },
  },
  {
    route: 'GET /webhooks',
    anonymous: 401,
    otherMember: 403,
    otherManager: 403,
    wrongRole: { as: 'manager', status: 403 },
    right: { as: 'ops', status: 200 },
  },
  {
    route: 'DELETE /webhooks/:id',
    setup: async (f) => {
      const res = await request(app.app).post('/webhooks').set(f.users.ops.auth).send(webhookBody(f));
      expect(res.status).toBe(201);
      return { id: res.body.id };
    },
    anonymous: 401,
    otherMember: 403,
    otherManager: 403,
    wrongRole: { as: 'manager', status: 403 },
    right: { as: 'ops', status: 204 },
  },
  {
    route: 'GET /notifications/failed',
    anonymous: 401,
    otherMember: 403,
    otherManager: 403,
    wrongRole: { as: 'manager', status: 403 },
    right: { as: 'ops', status: 200 },
  },
  {
    route: 'POST /notifications/:id/resend',
    // ar's notification with a failed email delivery.
    setup: async (f) => {
      await world.sql`
        INSERT INTO notification_deliveries (notification_id, channel, status, attempts, last_error)
        VALUES (${f.arNotification}, 'email', 'failed', 5, 'matrix: simulated failure')
        ON CONFLICT (notification_id, channel) DO UPDATE SET status = 'failed'`;
      return { id: f.arNotification };
    },
    anonymous: 401,
    otherMember: 403,
    otherManager: 403,
    // Not even the recipient may resend: it is an ops tool.
    wrongRole: [
      { as: 'manager', status: 403 },
      { as: 'ar', status: 403 },
    ],
    right: { as: 'ops', status: 202, check: (res) => expect(res.body.channels).toEqual(['email']) },
  },
];

/** Routes served outside the registry (not in the OpenAPI document), still covered above. */
const UNREGISTERED_ROUTES = ['GET /metrics'];
/** Registered routes that need no token. Any other route must require one. */
const PUBLIC_REGISTERED_ROUTES = ['GET /healthz', 'GET /readyz', 'GET /openapi.json', 'GET /docs'];

// ---------------------------------------------------------------------------------------------
// Running it
// ---------------------------------------------------------------------------------------------

let world: World;
let app: App;
let f: Fixture;

async function setFutureDelegation(who: TestUser, delegateId: string): Promise<void> {
  const res = await request(app.app)
    .put('/users/me/delegation')
    .set(who.auth)
    .send(futureDelegation(delegateId));
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  world = await startWorld();
  // Our own app instance on the world's Postgres and task queue: its registry lists every route.
  app = createApp({
    db: world.db,
    temporal: world.client,
    logger: pino({ level: 'silent' }),
    taskQueue: world.taskQueue,
    namespace: 'default',
    publicUrl: 'http://localhost:3000',
    rateLimitPerMinute: 100_000,
    rateLimitReadsPerMinute: 1_000_000,
    rateLimitFailedAuthPerMinute: 1_000_000,
  });
  const u = async (id: string, roles: string[], managerId?: string) =>
    createUser(world, { id: `mx-${id}`, roles, managerId: managerId ?? null });
  const director = await u('director', ['manager']);
  const manager = await u('manager', ['manager'], director.id);
  const users: Record<UserKey, TestUser> = {
    director,
    manager,
    ar: await u('ar', ['member'], manager.id),
    sr: await u('sr', ['member'], manager.id),
    fr: await u('fr', ['member'], manager.id),
    teammate: await u('teammate', ['member'], manager.id),
    spare: await u('spare', ['member'], manager.id),
    otherManager: await u('other-manager', ['manager']),
    otherMember: undefined as never,
    ops: await u('ops', ['ops']),
    admin: await u('admin', ['admin']),
  };
  users.otherMember = await u('other-member', ['member'], users.otherManager.id);
  const processKey = (await applyDefinition(world, twoStages)).key;
  const quickKey = (await applyDefinition(world, quick)).key;
  const ourTitle = `Alpha-${world.ns}`;
  const otherTitle = `Bravo-${world.ns}`;
  const create = async (by: TestUser, body: unknown) => {
    const res = await request(app.app)
      .post('/deals')
      .set(by.auth)
      .send(body as object);
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const partial = { ns: world.ns, users, processKey, ourTitle, otherTitle } as Fixture;
  f = {
    ...partial,
    deal: await create(users.manager, dealBody(partial, ourTriangle(partial))),
    otherDeal: await create(
      users.otherManager,
      dealBody(
        partial,
        { AR: users.otherMember.id, SR: users.otherMember.id, FR: users.otherMember.id },
        otherTitle,
      ),
    ),
    overdueDeal: await create(users.manager, {
      ...dealBody(partial, ourTriangle(partial)),
      process: { key: quickKey },
    }),
    otherOverdueDeal: await create(users.otherManager, {
      ...dealBody(
        partial,
        { AR: users.otherMember.id, SR: users.otherMember.id, FR: users.otherMember.id },
        otherTitle,
      ),
      process: { key: quickKey },
    }),
    arNotification: '',
    newDeal: () => create(users.manager, dealBody(f, ourTriangle(f))),
  };
  const [n] = await world.sql`
    SELECT id FROM notifications WHERE user_id = ${users.ar.id} AND deal_id = ${f.deal} LIMIT 1`;
  expect(n).toBeDefined();
  f.arNotification = n.id as string;
  // Until the quick deals are past their due time (as the overdue filter sees it).
  await eventually(async () => {
    const [row] = await world.sql`
      SELECT count(*)::int AS n FROM deals
      WHERE id IN (${f.overdueDeal}, ${f.otherOverdueDeal}) AND status = 'active' AND due_at < now()`;
    return row.n === 2;
  });
});

afterAll(async () => {
  await world?.stop();
});

function routeOf(entry: MatrixEntry): { method: string; path: string } {
  const [method, path] = entry.route.split(' ');
  return { method: method.toLowerCase(), path };
}

function defaultVars(entry: MatrixEntry): Vars {
  const { path } = routeOf(entry);
  if (path.startsWith('/deals/:id')) return { id: f.deal };
  if (path.startsWith('/users/:id')) return { id: f.users.ar.id };
  return {};
}

function fillPath(path: string, vars: Vars): string {
  return path.replace(/:([A-Za-z_$][A-Za-z0-9_$]*)/g, (_m, name: string) => {
    if (vars[name] === undefined) throw new Error(`no value for :${name} in ${path}`);
    return encodeURIComponent(vars[name]);
  });
}

function withQuery(path: string, query?: Record<string, string>): string {
  return query ? `${path}?${new URLSearchParams(query)}` : path;
}

function buildBody(body: Body | undefined, vars: Vars): unknown {
  return typeof body === 'function' ? body(f, vars) : body;
}

function attemptsOf(category: Category, e: Expectation): Attempt[] {
  if (typeof e === 'object' && 'na' in e) return [];
  const list: Attempt[] = typeof e === 'number' ? [{ status: e }] : Array.isArray(e) ? e : [e];
  for (const a of list) {
    if ((category === 'wrongRole' || category === 'right') && !a.as) {
      throw new Error(`${category} attempts must name the caller (as)`);
    }
    if (category === 'anonymous' && a.as) throw new Error('anonymous attempts have no caller');
  }
  return list;
}

function callerOf(category: Category, a: Attempt): UserKey | undefined {
  if (a.as) return a.as;
  if (category === 'otherMember' || category === 'otherManager') return category;
  return undefined;
}

/** Deal titles the caller must never see in a body. */
function hiddenTitles(who: UserKey | undefined): string[] {
  if (who === undefined) return [f.ourTitle, f.otherTitle];
  if (who === 'ops' || who === 'admin') return [];
  if ((OUR_TEAM as readonly string[]).includes(who)) return [f.otherTitle];
  return [f.ourTitle];
}

async function send(
  method: string,
  path: string,
  who: UserKey | undefined,
  body: unknown,
): Promise<request.Response> {
  let req = (request(app.app) as unknown as Record<string, (p: string) => request.Test>)[method](path);
  if (who) req = req.set(f.users[who].auth);
  if (body !== undefined) req = req.send(body as object);
  return req;
}

describe('the matrix', () => {
  test('covers every route of the app, and only those', () => {
    const registered = app.registry.routes().map((r) => `${r.method.toUpperCase()} ${r.path}`);
    const covered = MATRIX.map((e) => e.route);
    expect(new Set(covered).size).toBe(covered.length);
    const missing = registered.filter((r) => !covered.includes(r));
    const stale = covered.filter((r) => !registered.includes(r) && !UNREGISTERED_ROUTES.includes(r));
    expect({ missing, stale }).toEqual({ missing: [], stale: [] });
  });

  test('only the public routes go without a token', () => {
    const open = app.registry
      .routes()
      .filter((r) => !r.spec.auth)
      .map((r) => `${r.method.toUpperCase()} ${r.path}`);
    expect(open.sort()).toEqual([...PUBLIC_REGISTERED_ROUTES].sort());
  });

  test('every token-protected route answers 401 to a revoked, unknown or malformed token', async () => {
    const created = await request(app.app).post('/users/me/tokens').set(f.users.ops.auth);
    expect(created.status).toBe(201);
    const revoked = await request(app.app)
      .delete(`/users/me/tokens/${created.body.id}`)
      .set(f.users.ops.auth);
    expect(revoked.status).toBe(204);
    const headers = [`Bearer ${created.body.token}`, 'Bearer ltc_unknown', 'Token abc', 'Bearer'];
    for (const r of app.registry.routes().filter((x) => x.spec.auth)) {
      const path = r.path.replace(/:([A-Za-z_$][A-Za-z0-9_$]*)/g, 'x');
      for (const h of headers) {
        const res = await (request(app.app) as unknown as Record<string, (p: string) => request.Test>)
          [r.method](path)
          .set('Authorization', h)
          .send({});
        expect({ route: `${r.method} ${r.path}`, h, status: res.status }).toEqual({
          route: `${r.method} ${r.path}`,
          h,
          status: 401,
        });
        expect(res.headers['www-authenticate']).toBe('Bearer');
      }
    }
  });

  test('unknown and malformed deal ids are 404 even for ops, on every deal route', async () => {
    const dealRoutes = MATRIX.filter((e) => routeOf(e).path.startsWith('/deals/:id'));
    expect(dealRoutes.length).toBeGreaterThan(0);
    for (const entry of dealRoutes) {
      const { method, path } = routeOf(entry);
      for (const id of [randomUUID(), 'not-a-deal', "1' or '1'='1", 'with spaces', '名字']) {
        const vars = { id, attachmentId: randomUUID() };
        const res = await send(method, fillPath(path, vars), 'ops', buildBody(entry.body, vars));
        expect({ route: entry.route, id, status: res.status }).toEqual({
          route: entry.route,
          id,
          status: 404,
        });
      }
    }
  });
});

describe.each(MATRIX.map((e) => [e.route, e] as const))('%s', (_route, entry) => {
  test('anonymous, other team, wrong role, right user', async () => {
    const { method, path } = routeOf(entry);
    const vars = { ...defaultVars(entry), ...entry.vars?.(f), ...(entry.setup ? await entry.setup(f) : {}) };
    let ran = 0;
    for (const category of CATEGORIES) {
      for (const attempt of attemptsOf(category, entry[category])) {
        const who = callerOf(category, attempt);
        const body = buildBody(attempt.body !== undefined ? attempt.body : entry.body, vars);
        const res = await send(method, withQuery(fillPath(path, vars), entry.query), who, body);
        const label = { route: entry.route, category, as: who ?? 'anonymous' };
        expect({
          ...label,
          status: res.status,
          problem: res.status >= 400 ? res.body?.detail : undefined,
        }).toEqual({
          ...label,
          status: attempt.status,
          problem: res.status >= 400 ? res.body?.detail : undefined,
        });
        if (res.status === 401) expect(res.headers['www-authenticate']).toBe('Bearer');
        for (const hidden of hiddenTitles(who)) {
          expect({ ...label, leaks: res.text.includes(hidden) }).toEqual({ ...label, leaks: false });
        }
        await attempt.check?.(res, f, vars);
        ran++;
      }
    }
    expect(ran).toBeGreaterThan(0);
  });
});
