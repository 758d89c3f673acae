/**
 * Demo data for `npm start`, written idempotently: the default LTC process, a small org and one
 * demo deal. Tokens are generated once and kept in `<DATA_DIR>/demo-tokens.json` (only their
 * hashes are in the database), so every start can print them.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { parse as parseYaml } from 'yaml';
import { hashToken, newToken } from '../api/auth/tokens';
import { createDealService } from '../api/deals/service';
import { applyProcessDefinition, getLatestProcessVersion } from '../api/process-definitions/repo';
import type { Db } from '../db/client';
import { apiTokens, deals, users } from '../db/schema';
import { validateProcessDefinition } from '../domain/process/validate';

export const DEMO_USERS = [
  {
    id: 'vp-zhao',
    name: '赵总 (Zhao, VP Sales)',
    email: 'zhao@demo.ltc',
    roles: ['manager'],
    managerId: null,
    groups: ['sdt'],
    locale: 'zh',
  },
  {
    id: 'mgr-wang',
    name: '王经理 (Wang, Key Account Manager)',
    email: 'wang@demo.ltc',
    roles: ['manager'],
    managerId: 'vp-zhao',
    groups: [],
    locale: 'zh',
  },
  {
    id: 'ar-li',
    name: 'Li Na (AR)',
    email: 'li@demo.ltc',
    roles: ['member'],
    managerId: 'mgr-wang',
    groups: [],
    locale: 'zh',
  },
  {
    id: 'sr-chen',
    name: 'Chen Wei (SR)',
    email: 'chen@demo.ltc',
    roles: ['member'],
    managerId: 'mgr-wang',
    groups: [],
    locale: 'en',
  },
  {
    id: 'fr-zhang',
    name: 'Zhang Min (FR)',
    email: 'zhang@demo.ltc',
    roles: ['member'],
    managerId: 'mgr-wang',
    groups: [],
    locale: 'en',
  },
  {
    id: 'ops-liu',
    name: 'Liu Yang (Ops)',
    email: 'liu@demo.ltc',
    roles: ['ops'],
    managerId: null,
    groups: [],
    locale: 'en',
  },
] as const;

export interface SeedResult {
  tokens: Record<string, string>;
  processVersion: number;
  demoDealId: string;
}

export async function seedDemo(opts: {
  db: Db;
  temporal: Client;
  taskQueue: string;
  namespace: string;
  dataDir: string;
  root: string;
}): Promise<SeedResult> {
  const { db } = opts;
  const text = fs.readFileSync(path.join(opts.root, 'processes', 'ltc-standard.yaml'), 'utf8');
  const validated = validateProcessDefinition(parseYaml(text), { knownGroups: ['sdt'] });
  if (!validated.ok)
    throw new Error(`processes/ltc-standard.yaml is invalid: ${JSON.stringify(validated.errors)}`);

  for (const u of DEMO_USERS) {
    await db
      .insert(users)
      .values({ ...u, roles: [...u.roles], groups: [...u.groups] })
      .onConflictDoNothing();
  }
  // Only the first start stores the default process: later versions are ops' to apply, and a
  // restart must never put the file's content back over them.
  const version =
    (await getLatestProcessVersion(db, validated.definition.key)) ??
    (await applyProcessDefinition(db, validated.definition, 'seed')).version;

  const tokenFile = path.join(opts.dataDir, 'demo-tokens.json');
  let tokens: Record<string, string> = fs.existsSync(tokenFile)
    ? JSON.parse(fs.readFileSync(tokenFile, 'utf8'))
    : {};
  for (const u of DEMO_USERS) {
    const id = `tok_demo_${u.id}`;
    const existing = await db.select().from(apiTokens).where(eq(apiTokens.id, id)).limit(1);
    if (
      tokens[u.id] &&
      existing[0] &&
      existing[0].tokenHash === hashToken(tokens[u.id]) &&
      !existing[0].revokedAt
    )
      continue;
    const t = newToken();
    await db
      .insert(apiTokens)
      .values({ id, userId: u.id, tokenHash: t.hash, label: 'demo' })
      .onConflictDoUpdate({ target: apiTokens.id, set: { tokenHash: t.hash, revokedAt: null } });
    tokens = { ...tokens, [u.id]: t.token };
  }
  fs.writeFileSync(tokenFile, JSON.stringify(tokens, null, 2), { mode: 0o600 });

  const service = createDealService({
    db,
    temporal: opts.temporal,
    taskQueue: opts.taskQueue,
    namespace: opts.namespace,
  });
  const existingDeal = await db
    .select({ id: deals.id })
    .from(deals)
    .where(eq(deals.idempotencyKey, 'demo-deal'))
    .limit(1);
  const demoDealId =
    existingDeal[0]?.id ??
    (
      await service.create(
        {
          title: '深圳地铁14号线信号系统 / Metro Line 14 signalling',
          account: { name: 'Shenzhen Metro Group', tier: 'strategic' },
          value: { amount: 48_000_000, currency: 'CNY' },
          triangle: { AR: 'ar-li', SR: 'sr-chen', FR: 'fr-zhang' },
        },
        'mgr-wang',
        'demo-deal',
        { mayNameOlderVersion: false, canSee: async () => true },
      )
    ).deal.id;
  return { tokens, processVersion: version.version, demoDealId };
}
