/**
 * Notification endpoints (full paths, mounted at `/`):
 * - in-app inbox: `GET /me/notifications`, `POST /me/notifications/:id/read`;
 * - preferences: `GET|PUT /users/me/notification-preferences`;
 * - ops: `POST|GET /webhooks`, `DELETE /webhooks/:id`, `GET /notifications/failed`,
 *   `POST /notifications/:id/resend`.
 * See docs/notifications.md.
 */
import express from 'express';
import { principalOf } from '../auth/authenticate';
import { isOps, type Principal } from '../auth/principal';
import type { FeatureRoutes } from '../feature';
import { pageSchema, paginationQuery } from '../http/pagination';
import { forbidden } from '../http/problem';
import {
  CreateWebhookBody,
  FailedDeliverySchema,
  InboxQuery,
  NotificationIdParams,
  NotificationItemSchema,
  PreferencesSchema,
  PutPreferencesBody,
  ResendBody,
  ResendResultSchema,
  WebhookIdParams,
  WebhookSchema,
} from './schemas';
import { createNotificationService } from './service';

function requireOps(p: Principal): void {
  if (!isOps(p)) throw forbidden('Only ops may do this');
}

export const notificationRoutes: FeatureRoutes = (registry, deps) => {
  const router = express.Router();
  const service = createNotificationService({
    db: deps.db,
    temporal: deps.temporal,
    taskQueue: deps.taskQueue,
    webhookPolicy: deps.webhookPolicy,
  });
  const common = { 400: 'problem', 401: 'problem' } as const;
  const ops = { ...common, 403: 'problem' } as const;

  // --- in-app inbox ----------------------------------------------------------------------------

  registry.route(
    router,
    {
      method: 'get',
      path: '/me/notifications',
      summary: 'My notifications: unread first, then newest first',
      description:
        'Kinds my preferences keep out of the inbox are not listed. `?unread=true` lists unread ones only.',
      tags: ['notifications'],
      auth: true,
      query: InboxQuery,
      responses: { 200: pageSchema(NotificationItemSchema), ...common },
    },
    async (_req, res) => {
      res.json(await service.inbox(principalOf(res).id, res.locals.query));
    },
  );

  registry.route(
    router,
    {
      method: 'post',
      path: '/me/notifications/:id/read',
      summary: 'Mark one of my notifications read (idempotent)',
      tags: ['notifications'],
      auth: true,
      write: true,
      params: NotificationIdParams,
      responses: { 200: NotificationItemSchema, ...common, 404: 'problem' },
    },
    async (_req, res) => {
      res.json(await service.markRead(principalOf(res).id, res.locals.params.id));
    },
  );

  // --- preferences -----------------------------------------------------------------------------

  registry.route(
    router,
    {
      method: 'get',
      path: '/users/me/notification-preferences',
      summary: 'My notification channels per kind',
      tags: ['notifications'],
      auth: true,
      responses: { 200: PreferencesSchema, ...common },
    },
    async (_req, res) => {
      res.json(await service.preferencesOf(principalOf(res).id));
    },
  );

  registry.route(
    router,
    {
      method: 'put',
      path: '/users/me/notification-preferences',
      summary: 'Set my notification channels per kind',
      description:
        'Body `{ [kind]: channel[] }` (or `{ preferences: {...} }`) with channels inbox, email, webhook ' +
        '(my own webhooks). Replaces my stored preferences; a kind left out gets every channel again, ' +
        '`[]` silences a kind. Answers the effective preferences.',
      tags: ['notifications'],
      auth: true,
      write: true,
      body: PutPreferencesBody,
      responses: { 200: PreferencesSchema, ...common },
    },
    async (_req, res) => {
      const body = res.locals.body;
      const map = 'preferences' in body && body.preferences ? body.preferences : body;
      res.json(await service.setPreferences(principalOf(res).id, map as Record<string, string[]>));
    },
  );

  // --- webhooks (ops) --------------------------------------------------------------------------

  registry.route(
    router,
    {
      method: 'post',
      path: '/webhooks',
      summary: 'Add a webhook (ops): a user’s own, a team’s (manager’s reporting line) or team-wide',
      description:
        'One POST per notification (one notification = one recipient). `generic` is signed: ' +
        '`X-LTC-Signature: sha256=HMAC-SHA256(secret, X-LTC-Timestamp + "." + body)`.',
      tags: ['notifications'],
      auth: true,
      write: true,
      body: CreateWebhookBody,
      responses: { 201: WebhookSchema, ...ops },
    },
    async (_req, res) => {
      const p = principalOf(res);
      requireOps(p);
      res.status(201).json(await service.createWebhook(res.locals.body, p.id));
    },
  );

  registry.route(
    router,
    {
      method: 'get',
      path: '/webhooks',
      summary: 'List webhooks (ops)',
      tags: ['notifications'],
      auth: true,
      query: paginationQuery,
      responses: { 200: pageSchema(WebhookSchema), ...ops },
    },
    async (_req, res) => {
      requireOps(principalOf(res));
      res.json(await service.listWebhooks(res.locals.query));
    },
  );

  registry.route(
    router,
    {
      method: 'delete',
      path: '/webhooks/:id',
      summary: 'Delete a webhook (ops); its pending retries stop',
      tags: ['notifications'],
      auth: true,
      write: true,
      params: WebhookIdParams,
      responses: { 204: null, ...ops, 404: 'problem' },
    },
    async (_req, res) => {
      requireOps(principalOf(res));
      await service.deleteWebhook(res.locals.params.id);
      res.status(204).end();
    },
  );

  // --- failed deliveries (ops) -----------------------------------------------------------------

  registry.route(
    router,
    {
      method: 'get',
      path: '/notifications/failed',
      summary: 'Deliveries whose retries are exhausted (ops)',
      tags: ['notifications'],
      auth: true,
      query: paginationQuery,
      responses: { 200: pageSchema(FailedDeliverySchema), ...ops },
    },
    async (_req, res) => {
      requireOps(principalOf(res));
      res.json(await service.failedDeliveries(res.locals.query));
    },
  );

  registry.route(
    router,
    {
      method: 'post',
      path: '/notifications/:id/resend',
      summary: 'Resend a notification’s failed deliveries (ops)',
      description:
        'Every failed channel, or only `{ "channel": "email" | "webhook:<id>" }`. Answers 202 once the ' +
        'resend workflows are started; 409 when nothing has failed.',
      tags: ['notifications'],
      auth: true,
      write: true,
      params: NotificationIdParams,
      body: ResendBody,
      responses: { 202: ResendResultSchema, ...ops, 404: 'problem', 409: 'problem' },
    },
    async (_req, res) => {
      requireOps(principalOf(res));
      res.status(202).json(await service.resend(res.locals.params.id, res.locals.body?.channel));
    },
  );

  return router;
};
