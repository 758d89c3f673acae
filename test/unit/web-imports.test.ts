import { checkImports } from '../../scripts/check-web-imports';

const file = (path: string, ...imports: string[]) => ({
  path,
  text: imports.map((s, i) => `import { x${i} } from '${s}';`).join('\n'),
});

describe('web import rule: app → features → shared', () => {
  test('allowed: app imports features and shared; a feature imports itself and shared', () => {
    expect(
      checkImports([
        file('main.tsx', './app'),
        file('app/router.tsx', '@/features/deals/components/deal-view', '@/lib/api/client', './routes/x'),
        file(
          'features/deals/components/a.tsx',
          '../api/deals',
          '@/features/deals/lib/board',
          '@/components/money',
        ),
        file('lib/api/queries.ts', './client', 'react'),
      ]),
    ).toEqual([]);
  });

  test('refused: a feature importing another feature, by alias or relative path', () => {
    const v = checkImports([
      file('features/signoffs/components/a.tsx', '@/features/deals/api/deals'),
      file('features/signoffs/components/b.tsx', '../../deals/lib/board'),
    ]);
    expect(v.map((x) => x.message)).toEqual([
      'feature "signoffs" must not import feature "deals": compose them in app/',
      'feature "signoffs" must not import feature "deals": compose them in app/',
    ]);
  });

  test('refused: shared code importing a feature or the app; a feature importing the app', () => {
    const v = checkImports([
      file('components/money.tsx', '@/features/deals/lib/board'),
      file('lib/format.ts', '../app/router'),
      file('features/deals/api/deals.ts', '@/app/provider'),
    ]);
    expect(v.map((x) => `${x.file}: ${x.message}`)).toEqual([
      'components/money.tsx: shared code must not import a feature',
      'lib/format.ts: only the app imports the app',
      'features/deals/api/deals.ts: only the app imports the app',
    ]);
  });
});
