import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkLayers, importsOf } from '../../scripts/check-layers';

/** A throwaway project tree: `{ 'domain/a.ts': "import { z } from 'zod';" }`. */
function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'layers-'));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  return root;
}

describe('layer check (npm run lint)', () => {
  it('passes on this project', () => {
    expect(checkLayers(path.resolve(__dirname, '../..'))).toEqual([]);
  });

  it('flags domain/ importing a library, Node or another layer', () => {
    const root = tree({
      'domain/deal/a.ts':
        "import { z } from 'zod';\nimport fs from 'node:fs';\nimport { x } from '../../db/client';\n",
      'domain/deal/b.ts': "import type { T } from './a';\n",
    });
    const found = checkLayers(root).map((v) => `${v.file}:${v.line}:${v.specifier}`);
    expect(found).toEqual([
      'domain/deal/a.ts:1:zod',
      'domain/deal/a.ts:2:node:fs',
      'domain/deal/a.ts:3:../../db/client',
    ]);
  });

  it('flags workflow code importing values from outside workflows/ and domain/, not types', () => {
    const root = tree({
      'workflows/deal.ts': [
        "import { proxyActivities } from '@temporalio/workflow';",
        "import type { Db } from '../db/client';",
        "import { createDb } from '../db/client';",
        "import { enter } from '../domain/deal/transitions';",
        "import { validateProcessDefinition } from '../definitions/validate';",
      ].join('\n'),
    });
    const found = checkLayers(root).map((v) => `${v.line}:${v.specifier}`);
    expect(found).toEqual(['3:../db/client', '5:../definitions/validate']);
  });

  it('flags any lower layer importing api/', () => {
    const root = tree({
      'activities/a.ts': "import { app } from '../api/app';\n",
      'definitions/v.ts': "import type { P } from '../api/http/problem';\n",
    });
    expect(
      checkLayers(root)
        .map((v) => v.file)
        .sort(),
    ).toEqual(['activities/a.ts', 'definitions/v.ts']);
  });

  it('reads multi-line, type-only, re-export and dynamic imports', () => {
    const refs = importsOf(
      "import {\n  a,\n  b,\n} from './x';\nimport type { T } from './t';\nexport * from './y';\nconst m = await import('./z');\n",
    );
    expect(refs.map((r) => [r.specifier, r.typeOnly, r.line])).toEqual([
      ['./x', false, 1],
      ['./t', true, 5],
      ['./y', false, 6],
      ['./z', false, 7],
    ]);
  });
});
