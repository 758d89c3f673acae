/**
 * User endpoints: the directory (admin creates users), API tokens (created and shown once, revoked),
 * and the caller's out-of-office delegation.
 *
 * In `/users/:id/tokens…` the id `me` stands for the caller.
 */
import express from 'express';
import { principalOf } from '../auth/authenticate';
import { isAdmin, type Principal } from '../auth/principal';
import type { FeatureRoutes } from '../feature';
import { pageSchema } from '../http/pagination';
import { forbidden, notFound } from '../http/problem';
import {
  CreatedTokenSchema,
  CreatedUserSchema,
  CreateTokenBody,
  CreateUserBody,
  DelegationBody,
  DelegationSchema,
  ListTokensQuery,
  ListUsersQuery,
  TokenInfoSchema,
  TokenParams,
  UpdateUserBody,
  UserParams,
  UserSchema,
} from './schemas';
import {
  canManageTokens,
  clearDelegation,
  createToken,
  createUser,
  getDelegation,
  getUser,
  listTokens,
  listUsers,
  revokeToken,
  setDelegation,
  setUserActive,
  toUserDto,
  visibleUser,
} from './service';

const resolveId = (p: Principal, id: string): string => (id === 'me' ? p.id : id);

export const userRoutes: FeatureRoutes = (registry, deps) => {
  const { db } = deps;
  const router = express.Router();
  const tags = ['users'];

  registry.route(
    router,
    {
      method: 'post',
      path: '/users',
      summary: 'Create a user with a first API token (admin)',
      description:
        'Answers the user and their API token, which is shown only this once. 400 `body.managerId` for an ' +
        'unknown manager, 409 for a duplicate id or email.',
      tags,
      auth: true,
      write: true,
      body: CreateUserBody,
      responses: { 201: CreatedUserSchema, 403: 'problem', 409: 'problem' },
    },
    async (_req, res) => {
      const p = principalOf(res);
      if (!isAdmin(p)) throw forbidden('Only admins may create users');
      const { user, token, tokenId } = await createUser(db, res.locals.body);
      res.status(201).json({ ...user, token, tokenId });
    },
  );

  registry.route(
    router,
    {
      method: 'get',
      path: '/users',
      summary: 'List the users the caller may see',
      description:
        'Admin and ops: everyone; managers: themselves and their reporting line; others: themselves.',
      tags,
      auth: true,
      query: ListUsersQuery,
      responses: { 200: pageSchema(UserSchema) },
    },
    async (_req, res) => {
      res.json(await listUsers(db, principalOf(res), res.locals.query));
    },
  );

  registry.route(
    router,
    {
      method: 'get',
      path: '/users/me',
      summary: 'The caller',
      tags,
      auth: true,
      responses: { 200: UserSchema },
    },
    async (_req, res) => {
      res.json(await getUser(db, principalOf(res).id));
    },
  );

  registry.route(
    router,
    {
      method: 'get',
      path: '/users/me/delegation',
      summary: 'The caller’s out-of-office delegation',
      tags,
      auth: true,
      responses: { 200: DelegationSchema, 404: 'problem' },
    },
    async (_req, res) => {
      const d = await getDelegation(db, principalOf(res).id);
      if (!d) throw notFound('No delegation is set');
      res.json(d);
    },
  );

  registry.route(
    router,
    {
      method: 'put',
      path: '/users/me/delegation',
      summary: 'Set the caller’s out-of-office delegate',
      description:
        'The delegate may sign the caller’s roles between `from` and `until` (ISO 8601 date-times); the ' +
        'timeline records the delegate as actor on behalf of the caller. Replaces any earlier delegation.',
      tags,
      auth: true,
      write: true,
      body: DelegationBody,
      responses: { 200: DelegationSchema },
    },
    async (_req, res) => {
      res.json(await setDelegation(db, principalOf(res).id, res.locals.body));
    },
  );

  registry.route(
    router,
    {
      method: 'delete',
      path: '/users/me/delegation',
      summary: 'Clear the caller’s delegation',
      tags,
      auth: true,
      write: true,
      responses: { 204: null },
    },
    async (_req, res) => {
      await clearDelegation(db, principalOf(res).id);
      res.status(204).end();
    },
  );

  registry.route(
    router,
    {
      method: 'get',
      path: '/users/:id',
      summary: 'One user (same visibility as the list)',
      tags,
      auth: true,
      params: UserParams,
      responses: { 200: UserSchema, 404: 'problem' },
    },
    async (_req, res) => {
      const p = principalOf(res);
      res.json(toUserDto(await visibleUser(db, p, resolveId(p, res.locals.params.id))));
    },
  );

  registry.route(
    router,
    {
      method: 'patch',
      path: '/users/:id',
      summary: 'Deactivate or reactivate a user (admin)',
      description:
        '`active: false` refuses every token of the user at once (401) until `active: true` restores them. ' +
        'Admins cannot deactivate themselves (409).',
      tags,
      auth: true,
      write: true,
      params: UserParams,
      body: UpdateUserBody,
      responses: { 200: UserSchema, 403: 'problem', 404: 'problem', 409: 'problem' },
    },
    async (_req, res) => {
      const p = principalOf(res);
      if (!isAdmin(p)) throw forbidden('Only admins may change a user');
      const id = resolveId(p, res.locals.params.id);
      res.json(await setUserActive(db, p, id, res.locals.body.active));
    },
  );

  registry.route(
    router,
    {
      method: 'get',
      path: '/users/:id/tokens',
      summary: 'A user’s API tokens, without their secrets (admin or the user)',
      description: 'Oldest first, revoked ones included (with `revokedAt`).',
      tags,
      auth: true,
      params: UserParams,
      query: ListTokensQuery,
      responses: { 200: pageSchema(TokenInfoSchema), 403: 'problem', 404: 'problem' },
    },
    async (_req, res) => {
      const p = principalOf(res);
      const user = await visibleUser(db, p, resolveId(p, res.locals.params.id));
      if (!canManageTokens(p, user.id)) throw forbidden('Only admins and the user may see their tokens');
      res.json(await listTokens(db, user.id, res.locals.query));
    },
  );

  registry.route(
    router,
    {
      method: 'post',
      path: '/users/:id/tokens',
      summary: 'Create an API token (admin or the user); the token is shown once',
      tags,
      auth: true,
      write: true,
      params: UserParams,
      body: CreateTokenBody,
      responses: { 201: CreatedTokenSchema, 403: 'problem', 404: 'problem' },
    },
    async (_req, res) => {
      const p = principalOf(res);
      const user = await visibleUser(db, p, resolveId(p, res.locals.params.id));
      if (!canManageTokens(p, user.id)) throw forbidden('Only admins and the user may create their tokens');
      res.status(201).json(await createToken(db, user.id, res.locals.body ?? {}));
    },
  );

  registry.route(
    router,
    {
      method: 'delete',
      path: '/users/:id/tokens/:tokenId',
      summary: 'Revoke an API token (admin or the user); it answers 401 from then on',
      tags,
      auth: true,
      write: true,
      params: TokenParams,
      responses: { 204: null, 403: 'problem', 404: 'problem' },
    },
    async (_req, res) => {
      const p = principalOf(res);
      const user = await visibleUser(db, p, resolveId(p, res.locals.params.id));
      if (!canManageTokens(p, user.id)) throw forbidden('Only admins and the user may revoke their tokens');
      await revokeToken(db, user.id, res.locals.params.tokenId);
      res.status(204).end();
    },
  );

  return router;
};
