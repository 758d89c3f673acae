/**
 * Process definition endpoints: apply (ops), validate (dry run), list, read a version, diff.
 *
 * Apply and validate take the definition as JSON or as YAML (`Content-Type: application/yaml`),
 * so they declare no zod body schema: the raw body is parsed with `parseDefinitionText` and checked
 * with `validateProcessDefinition`, whose errors carry the definition's own paths
 * (`stages[3].sla.remind[0]`, no `body.` prefix).
 */
import express, { type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import { parseDefinitionText } from '../../definitions/parse';
import { processDefinitionSchema } from '../../definitions/schema';
import { validateProcessDefinition } from '../../definitions/validate';
import { diffDefinitions, formatDefinitionDiff, isEmptyDiff } from '../../domain/process/diff';
import type { ProcessDefinition, ValidationIssue } from '../../domain/process/types';
import { principalOf } from '../auth/authenticate';
import { isOps } from '../auth/principal';
import type { FeatureRoutes } from '../feature';
import { cursorFields, decodeCursor, page, pageSchema, paginationQuery } from '../http/pagination';
import { badRequest, forbidden, notFound, unsupportedMediaType } from '../http/problem';
import {
  applyProcessDefinition,
  getLatestProcessVersion,
  getProcessVersion,
  listKnownGroups,
  listLatestProcessVersionSummaries,
} from './repo';

// ---------------------------------------------------------------------------------------------
// Schemas (responses and parameters; they also produce the OpenAPI document)

const ProcessDefinitionSchema = processDefinitionSchema.meta({
  id: 'ProcessDefinition',
  description: 'A process definition, as written in processes/*.yaml (see docs/process-definitions.md)',
});

const LocalizedNameSchema = z.object({ en: z.string(), zh: z.string() });

const IssueSchema = z.object({
  path: z.string().describe('Path in the definition, e.g. stages[3].sla.remind[0]; "" is the document'),
  message: z.string(),
});

const AppliedSchema = z.object({
  key: z.string(),
  version: z.number().int(),
  checksum: z.string().describe('sha256 of the canonical JSON of the definition'),
});

const ValidSchema = z.object({
  valid: z.literal(true),
  warnings: z.array(IssueSchema).describe('Findings that do not block apply'),
});

const SummarySchema = z.object({
  key: z.string(),
  version: z.number().int().describe('Latest version of this key'),
  checksum: z.string(),
  createdAt: z.string().describe('When this version was applied (ISO 8601)'),
  name: LocalizedNameSchema,
});

const VersionSchema = z.object({
  key: z.string(),
  version: z.number().int(),
  checksum: z.string(),
  createdAt: z.string(),
  definition: ProcessDefinitionSchema,
});

const FieldChangeSchema = z.object({
  field: z
    .string()
    .describe('Dotted path within the stage: rule, approvers, sla.remind, weights.AR, name.zh'),
  from: z.unknown().describe('Value in `from`; null when the field is absent there'),
  to: z.unknown().describe('Value in `to`; null when the field is absent there'),
});

const DiffSchema = z.object({
  key: z.string(),
  from: z.number().int(),
  to: z.number().int(),
  changed: z.boolean().describe('false when both versions have the same content'),
  name: z.object({ from: LocalizedNameSchema, to: LocalizedNameSchema }).nullable(),
  stagesAdded: z
    .array(z.object({ key: z.string(), index: z.number().int() }))
    .describe('Stages only in `to`, with their index there'),
  stagesRemoved: z
    .array(z.object({ key: z.string(), index: z.number().int() }))
    .describe('Stages only in `from`, with their index there'),
  stagesChanged: z
    .array(z.object({ key: z.string(), changes: z.array(FieldChangeSchema) }))
    .describe('Stages in both whose content differs, field by field, in `to` order'),
  orderChanged: z.boolean().describe('Whether the stages in both appear in a different relative order'),
  lines: z.array(z.string()).describe('The same diff as readable lines (what `ltc process diff` prints)'),
});

const KeyParams = z.object({ key: z.string().min(1).max(200).describe('Process key, e.g. ltc-standard') });

const versionNumber = z.coerce
  .number({ error: 'must be a version number (1, 2, ...)' })
  .int()
  .min(1)
  .max(2_147_483_647);

const VersionParams = KeyParams.extend({ version: versionNumber.describe('Version number') });

const DiffQuery = z.object({
  from: versionNumber.describe('Version to compare from'),
  to: versionNumber.describe('Version to compare to'),
});

const ListCursor = z.strictObject({ key: cursorFields.text });

// ---------------------------------------------------------------------------------------------
// Request bodies: JSON (parsed by the app's JSON parser) or YAML (parsed here)

const JSON_TYPES = ['application/json', 'application/*+json'];
const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];
const ACCEPTED_TYPES = ['application/json', ...YAML_TYPES];

const yamlBody = express.text({ type: YAML_TYPES, limit: '1mb' }) as RequestHandler;

const BODY_DESCRIPTION =
  'The body is the definition itself, as JSON (`Content-Type: application/json`) or YAML ' +
  '(`application/yaml`, `application/x-yaml` or `text/yaml`; one document, YAML 1.2 core schema), ' +
  'in the format of processes/ltc-standard.yaml; other media types get 415. ' +
  'An invalid definition gets 400 (`validation-error`) whose `errors[].path` is the path in the ' +
  'definition itself, e.g. `stages[3].sla.remind[0]`, without the `body.` prefix used by the other ' +
  'endpoints; a body that is not parseable YAML/JSON is reported at path `""` (the document).';

/** The request body as a plain value, or a 400/415 problem. */
function definitionInput(req: Request): unknown {
  const type = req.is([...JSON_TYPES, ...YAML_TYPES]);
  if (type === null) {
    throw badRequest('The request has no body: send the process definition as JSON or YAML', [
      { path: '', message: 'the document is empty' },
    ]);
  }
  if (type === false) {
    throw unsupportedMediaType(
      'The process definition must be sent as application/json or application/yaml',
      ACCEPTED_TYPES,
    );
  }
  if (req.is(YAML_TYPES)) {
    const parsed = parseDefinitionText(typeof req.body === 'string' ? req.body : '', 'yaml');
    if (!parsed.ok) throw invalid(parsed.errors);
    return parsed.value;
  }
  return req.body;
}

function invalid(errors: ValidationIssue[]) {
  const n = errors.length;
  return badRequest(`The process definition is invalid (${n} error${n === 1 ? '' : 's'})`, errors);
}

/** Parses and validates the body; group names are checked against the groups users have. */
async function validDefinition(req: Request, knownGroups: () => Promise<string[]>) {
  const input = definitionInput(req);
  const result = validateProcessDefinition(input, { knownGroups: await knownGroups() });
  if (!result.ok) throw invalid(result.errors);
  return result;
}

const requireOps: RequestHandler = (_req, res, next) => {
  if (!isOps(principalOf(res))) throw forbidden('Only ops and admins may apply process definitions');
  next();
};

const nullIfAbsent = (value: unknown) => (value === undefined ? null : value);

// ---------------------------------------------------------------------------------------------
// Routes

export const processDefinitionRoutes: FeatureRoutes = (registry, deps) => {
  const { db } = deps;
  const router = express.Router();
  const tags = ['process-definitions'];
  const knownGroups = () => listKnownGroups(db);

  registry.route(
    router,
    {
      method: 'post',
      path: '/process-definitions',
      summary: 'Apply a process definition: store it as the next version of its key (ops, admin)',
      description:
        `${BODY_DESCRIPTION} ` +
        'Answers 201 with a new version, or 200 with the latest version when its content is identical ' +
        '(compared by checksum of the canonical JSON, so JSON and YAML of the same definition are ' +
        'equal). Every `group:<name>` must be a group some user has. Versions never change once ' +
        'written. Only ops and admins may apply (403 for others).',
      tags,
      auth: true,
      write: true,
      bodyContentTypes: ['application/json', 'application/yaml'],
      responses: {
        201: {
          description: 'A new version was stored',
          schema: AppliedSchema,
          headers: { Location: { description: 'URL of the new version', schema: z.string() } },
        },
        200: { description: 'Identical to the latest version: nothing stored', schema: AppliedSchema },
        400: 'problem',
        403: 'problem',
        413: 'problem',
        415: 'problem',
      },
    },
    requireOps,
    yamlBody,
    async (req, res) => {
      const { definition } = await validDefinition(req, knownGroups);
      const { version, created } = await applyProcessDefinition(db, definition, principalOf(res).id);
      const body = { key: version.key, version: version.version, checksum: version.checksum };
      if (created) {
        res.location(`/process-definitions/${encodeURIComponent(version.key)}/versions/${version.version}`);
      }
      res.status(created ? 201 : 200).json(body);
    },
  );

  registry.route(
    router,
    {
      method: 'post',
      path: '/process-definitions/validate',
      summary: 'Validate a process definition without storing it (dry run of apply)',
      description:
        `${BODY_DESCRIPTION} ` +
        'Runs the same checks as apply, including that every `group:<name>` is a group some user ' +
        'has, and stores nothing. Open to any authenticated user (not only ops). Answers 200 ' +
        '`{valid: true, warnings}` or 400 with `errors: [{path, message}]`.',
      tags,
      auth: true,
      bodyContentTypes: ['application/json', 'application/yaml'],
      responses: { 200: ValidSchema, 400: 'problem', 413: 'problem', 415: 'problem' },
    },
    yamlBody,
    async (req, res) => {
      const { warnings } = await validDefinition(req, knownGroups);
      res.json({ valid: true, warnings });
    },
  );

  registry.route(
    router,
    {
      method: 'get',
      path: '/process-definitions',
      summary: 'List process definitions: the latest version of each key, ordered by key',
      tags,
      auth: true,
      query: paginationQuery,
      responses: { 200: pageSchema(SummarySchema) },
    },
    async (_req, res) => {
      const { limit, cursor } = res.locals.query;
      const after = decodeCursor(cursor, ListCursor);
      const rows = await listLatestProcessVersionSummaries(db, { limit: limit + 1, afterKey: after?.key });
      res.json(page(rows, limit, (last) => ({ key: last.key })));
    },
  );

  registry.route(
    router,
    {
      method: 'get',
      path: '/process-definitions/:key',
      summary: 'The latest version of a process definition',
      tags,
      auth: true,
      params: KeyParams,
      responses: { 200: VersionSchema, 404: 'problem' },
    },
    async (_req, res) => {
      const { key } = res.locals.params;
      const version = await getLatestProcessVersion(db, key);
      if (!version) throw notFound(`No process definition "${key}"`);
      res.json(version);
    },
  );

  registry.route(
    router,
    {
      method: 'get',
      path: '/process-definitions/:key/versions/:version',
      summary: 'One version of a process definition',
      tags,
      auth: true,
      params: VersionParams,
      responses: { 200: VersionSchema, 404: 'problem' },
    },
    async (_req, res) => {
      const { key, version } = res.locals.params;
      const found = await getProcessVersion(db, key, version);
      if (!found) throw notFound(`No version ${version} of process definition "${key}"`);
      res.json(found);
    },
  );

  registry.route(
    router,
    {
      method: 'get',
      path: '/process-definitions/:key/diff',
      summary: 'Structural diff between two versions of a process definition',
      description:
        'Stages are matched by key: stages added, removed, and changed field by field ' +
        '(`sla.within`, `weights.AR`, `name.zh`; arrays and `rule` as whole values). ' +
        '`lines` holds the same diff as text. 404 when the key or either version does not exist.',
      tags,
      auth: true,
      params: KeyParams,
      query: DiffQuery,
      responses: { 200: DiffSchema, 404: 'problem' },
    },
    async (_req, res) => {
      const { key } = res.locals.params;
      const { from, to } = res.locals.query;
      const [a, b] = await Promise.all([getProcessVersion(db, key, from), getProcessVersion(db, key, to)]);
      if (!a || !b) {
        const missing = [a ? null : from, b ? null : to].filter((v) => v !== null);
        throw notFound(`No version ${[...new Set(missing)].join(' or ')} of process definition "${key}"`);
      }
      res.json(diffBody(key, from, to, a.definition, b.definition));
    },
  );

  return router;
};

function diffBody(key: string, from: number, to: number, a: ProcessDefinition, b: ProcessDefinition) {
  const diff = diffDefinitions(a, b);
  return {
    key,
    from,
    to,
    changed: !isEmptyDiff(diff),
    name: diff.name ?? null,
    stagesAdded: diff.stagesAdded,
    stagesRemoved: diff.stagesRemoved,
    stagesChanged: diff.stagesChanged.map((stage) => ({
      key: stage.key,
      changes: stage.changes.map((c) => ({
        field: c.field,
        from: nullIfAbsent(c.from),
        to: nullIfAbsent(c.to),
      })),
    })),
    orderChanged: diff.orderChanged,
    lines: formatDefinitionDiff(diff),
  };
}
