/**
 * Account endpoints: the account, its team, deals and decision chain; contacts and their
 * interactions. Visibility follows the deal rules (see ./service.ts); anyone else gets 404.
 */
import express from 'express';
import { dealScope } from '../auth/access';
import { principalOf } from '../auth/authenticate';
import { isManager, isOps } from '../auth/principal';
import { openDealsOf, tellDeals } from '../deals/evidence';
import type { FeatureRoutes } from '../feature';
import { pageSchema, paginationQuery } from '../http/pagination';
import { forbidden } from '../http/problem';
import {
  AccountDetailSchema,
  AccountIdParams,
  AccountSchema,
  ContactIdParams,
  ContactSchema,
  CreateAccountBody,
  CreateContactBody,
  InteractionBody,
  InteractionSchema,
  ListAccountsQuery,
  UpdateAccountBody,
  UpdateContactBody,
} from './schemas';
import { createAccountService } from './service';

export const accountRoutes: FeatureRoutes = (registry, deps) => {
  const { db } = deps;
  const service = createAccountService(db);
  const router = express.Router();
  const tags = ['accounts'];
  const problems = {
    400: 'problem',
    401: 'problem',
    403: 'problem',
    404: 'problem',
    409: 'problem',
  } as const;

  registry.route(
    router,
    {
      method: 'post',
      path: '/accounts',
      summary: 'Create an account (managers, ops, and members who put themselves on its team)',
      description:
        'The account team (AR, SR, FR) holds the account apart from any deal: three different people ' +
        '(400 `body.team.<role>`). 409 when an account of that name exists.',
      tags,
      auth: true,
      write: true,
      body: CreateAccountBody,
      responses: { 201: AccountSchema, ...problems },
    },
    async (_req, res) => {
      const p = principalOf(res);
      const body = res.locals.body;
      const team = body.team ?? {};
      if (!isOps(p) && !isManager(p) && ![team.AR, team.SR, team.FR].includes(p.id)) {
        throw forbidden('Members may create accounts only with themselves on the account team');
      }
      res.status(201).json(await service.create(body, p.id));
    },
  );

  registry.route(
    router,
    {
      method: 'get',
      path: '/accounts',
      summary: 'List the accounts the caller may see, by name',
      description:
        'Filters: `tier`; `owner` (a user holding an account-team role); `text` (part of the name, ' +
        'industry or region). Paged with `limit` and `cursor`.',
      tags,
      auth: true,
      query: ListAccountsQuery,
      responses: { 200: pageSchema(AccountSchema), ...problems },
    },
    async (_req, res) => {
      res.json(await service.list(await dealScope(db, principalOf(res)), res.locals.query));
    },
  );

  registry.route(
    router,
    {
      method: 'get',
      path: '/accounts/:id',
      summary: 'One account: its deals and their totals, who held each role over time, its decision chain',
      tags,
      auth: true,
      params: AccountIdParams,
      responses: { 200: AccountDetailSchema, ...problems },
    },
    async (_req, res) => {
      const scope = await dealScope(db, principalOf(res));
      const row = await service.visible(res.locals.params.id, scope);
      res.json(await service.detail(row, scope));
    },
  );

  registry.route(
    router,
    {
      method: 'patch',
      path: '/accounts/:id',
      summary: 'Change an account or its team (ops and the managers who see it)',
      description:
        'A team change is kept in the account’s role history with its `reason`; the team stays three ' +
        'different people (400 `body.team.<role>`).',
      tags,
      auth: true,
      write: true,
      params: AccountIdParams,
      body: UpdateAccountBody,
      responses: { 200: AccountSchema, ...problems },
    },
    async (_req, res) => {
      const p = principalOf(res);
      const row = await service.visible(res.locals.params.id, await dealScope(db, p));
      if (!isOps(p) && !isManager(p)) throw forbidden('Only managers and ops may change an account');
      const updated = await service.update(row, res.locals.body, p.id);
      await tellDeals(deps, await openDealsOf(db, row.id), p.id);
      res.json(updated);
    },
  );

  registry.route(
    router,
    {
      method: 'post',
      path: '/accounts/:id/contacts',
      summary: 'Add a contact to the account’s decision chain (anyone who sees the account)',
      tags: ['contacts'],
      auth: true,
      write: true,
      params: AccountIdParams,
      body: CreateContactBody,
      responses: { 201: ContactSchema, ...problems },
    },
    async (_req, res) => {
      const p = principalOf(res);
      const row = await service.visible(res.locals.params.id, await dealScope(db, p));
      const body = res.locals.body;
      if (body.ownerId && body.ownerId !== p.id && !isOps(p) && !isManager(p)) {
        throw forbidden('Only managers and ops may give a relationship to someone else');
      }
      const created = await service.createContact(row.id, body, p.id);
      await tellDeals(deps, await openDealsOf(db, row.id), p.id);
      res.status(201).json(created);
    },
  );

  registry.route(
    router,
    {
      method: 'patch',
      path: '/contacts/:id',
      summary: 'Change a contact: role in the decision, stance, influence, relationship owner',
      tags: ['contacts'],
      auth: true,
      write: true,
      params: ContactIdParams,
      body: UpdateContactBody,
      responses: { 200: ContactSchema, ...problems },
    },
    async (_req, res) => {
      const p = principalOf(res);
      const contact = await service.visibleContact(res.locals.params.id, await dealScope(db, p));
      const body = res.locals.body;
      if (body.ownerId !== undefined && body.ownerId !== contact.ownerId && !isOps(p) && !isManager(p)) {
        throw forbidden('Only managers and ops may change who owns a relationship');
      }
      const updated = await service.updateContact(contact, body);
      await tellDeals(deps, await openDealsOf(db, contact.accountId), p.id);
      res.json(updated);
    },
  );

  registry.route(
    router,
    {
      method: 'post',
      path: '/contacts/:id/interactions',
      summary: 'Log a meeting, call, visit or email with a contact',
      tags: ['contacts'],
      auth: true,
      write: true,
      params: ContactIdParams,
      body: InteractionBody,
      responses: { 201: InteractionSchema, ...problems },
    },
    async (_req, res) => {
      const p = principalOf(res);
      const contact = await service.visibleContact(res.locals.params.id, await dealScope(db, p));
      res.status(201).json(await service.addInteraction(contact.id, res.locals.body, p.id));
    },
  );

  registry.route(
    router,
    {
      method: 'get',
      path: '/contacts/:id/interactions',
      summary: 'A contact’s interactions, newest first',
      tags: ['contacts'],
      auth: true,
      params: ContactIdParams,
      query: paginationQuery,
      responses: { 200: pageSchema(InteractionSchema), ...problems },
    },
    async (_req, res) => {
      const contact = await service.visibleContact(
        res.locals.params.id,
        await dealScope(db, principalOf(res)),
      );
      res.json(await service.interactions(contact.id, res.locals.query));
    },
  );

  return router;
};
