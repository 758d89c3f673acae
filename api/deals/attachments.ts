/**
 * Deal attachments: evidence for gates (a margin sheet, a contract draft). Stored in Postgres,
 * size-limited, never fetched from elsewhere. Adding one tells the deal's workflow, so a stage
 * waiting for an attachment of that kind completes at once.
 */
import { createHash, randomUUID } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import express from 'express';
import { z } from 'zod';
import { dealAttachments } from '../../db/schema';
import { dealScope } from '../auth/access';
import { principalOf } from '../auth/authenticate';
import type { FeatureRoutes } from '../feature';
import { badRequest, notFound } from '../http/problem';
import { storableText } from '../http/storable';
import { tellDeals } from './evidence';
import { DealIdParams } from './schemas';

/** Largest attachment, decoded (its base64 form fits the 1 MB JSON body limit). */
export const MAX_ATTACHMENT_BYTES = 512 * 1024;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export const AttachmentBody = z
  .object({
    kind: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[a-z0-9-]+$/, 'must match [a-z0-9-]+, e.g. margin-sheet')
      .describe('What it is evidence of: an `attachment` requirement names this kind'),
    filename: storableText().trim().min(1).max(200),
    contentType: z
      .string()
      .max(100)
      .regex(/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i, 'must be a media type such as application/pdf')
      .default('application/octet-stream'),
    content: z
      .string()
      .min(1)
      .max(Math.ceil(MAX_ATTACHMENT_BYTES / 3) * 4, `must be at most ${MAX_ATTACHMENT_BYTES} bytes`)
      .regex(BASE64, 'must be base64')
      .describe(`The file, base64; at most ${MAX_ATTACHMENT_BYTES} bytes decoded`),
  })
  .strict();

export const AttachmentSchema = z
  .object({
    id: z.string(),
    dealId: z.string(),
    kind: z.string(),
    filename: z.string(),
    contentType: z.string(),
    size: z.number().int(),
    sha256: z.string(),
    createdBy: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: 'Attachment' });

const AttachmentParams = z.object({ id: z.string(), attachmentId: z.string() });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const attachmentRoutes: FeatureRoutes = (registry, deps) => {
  const { db, deals: service } = deps;
  const router = express.Router();
  const tags = ['deals'];
  const problems = { 400: 'problem', 401: 'problem', 403: 'problem', 404: 'problem' } as const;
  const toDto = (a: typeof dealAttachments.$inferSelect) => ({
    id: a.id,
    dealId: a.dealId,
    kind: a.kind,
    filename: a.filename,
    contentType: a.contentType,
    size: a.size,
    sha256: a.sha256,
    createdBy: a.createdBy,
    createdAt: a.createdAt.toISOString(),
  });

  registry.route(
    router,
    {
      method: 'post',
      path: '/deals/:id/attachments',
      summary: 'Attach a file to a deal (anyone who sees the deal)',
      description:
        `The file is sent base64 in \`content\` (at most ${MAX_ATTACHMENT_BYTES} bytes decoded) and stored in ` +
        'Postgres. A stage that requires an attachment of this `kind`, and whose sign-offs are in, completes at once.',
      tags,
      auth: true,
      write: true,
      params: DealIdParams,
      body: AttachmentBody,
      responses: { 201: AttachmentSchema, ...problems },
    },
    async (_req, res) => {
      const p = principalOf(res);
      const row = await service.visibleRow(res.locals.params.id, await dealScope(db, p));
      const body = res.locals.body;
      const content = Buffer.from(body.content, 'base64');
      if (content.length > MAX_ATTACHMENT_BYTES) {
        throw badRequest('The attachment is too large', [
          { path: 'body.content', message: `must be at most ${MAX_ATTACHMENT_BYTES} bytes` },
        ]);
      }
      const [inserted] = await db
        .insert(dealAttachments)
        .values({
          id: randomUUID(),
          dealId: row.id,
          kind: body.kind,
          filename: body.filename,
          contentType: body.contentType,
          size: content.length,
          sha256: createHash('sha256').update(content).digest('hex'),
          content,
          createdBy: p.id,
        })
        .returning();
      await tellDeals(deps, [row.id], p.id);
      res.status(201).json(toDto(inserted));
    },
  );

  registry.route(
    router,
    {
      method: 'get',
      path: '/deals/:id/attachments',
      summary: 'The deal’s attachments (without their content)',
      tags,
      auth: true,
      params: DealIdParams,
      responses: { 200: z.object({ items: z.array(AttachmentSchema) }), ...problems },
    },
    async (_req, res) => {
      const row = await service.visibleRow(res.locals.params.id, await dealScope(db, principalOf(res)));
      const rows = await db
        .select()
        .from(dealAttachments)
        .where(eq(dealAttachments.dealId, row.id))
        .orderBy(asc(dealAttachments.createdAt), asc(dealAttachments.id))
        .limit(500);
      res.json({ items: rows.map(toDto) });
    },
  );

  registry.route(
    router,
    {
      method: 'get',
      path: '/deals/:id/attachments/:attachmentId',
      summary: 'Download an attachment',
      tags,
      auth: true,
      params: AttachmentParams,
      responses: {
        200: {
          description: 'The file as it was attached',
          contentType: 'application/octet-stream',
          schema: z.string(),
        },
        ...problems,
      },
    },
    async (_req, res) => {
      const { id, attachmentId } = res.locals.params;
      const row = await service.visibleRow(id, await dealScope(db, principalOf(res)));
      if (!UUID.test(attachmentId)) throw notFound('No such attachment');
      const [a] = await db
        .select()
        .from(dealAttachments)
        .where(and(eq(dealAttachments.id, attachmentId), eq(dealAttachments.dealId, row.id)));
      if (!a) throw notFound('No such attachment');
      res.setHeader('Content-Type', a.contentType);
      res.setHeader('Content-Length', String(a.size));
      res.setHeader('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(a.filename)}`);
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.end(a.content);
    },
  );

  return router;
};
