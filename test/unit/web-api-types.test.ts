/**
 * The web app's API types are generated from the API's own OpenAPI document; a change to a route or
 * a schema must come with `npm run gen:api`.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

test('web/src/lib/api/schema.d.ts is what openapi-typescript generates from /openapi.json (else: npm run gen:api)', () => {
  const root = path.resolve(__dirname, '..', '..');
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/gen-api-types.ts', '--check'], {
    cwd: root,
    encoding: 'utf8',
  });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
});
