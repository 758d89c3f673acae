/**
 * docker-compose.yml and the Dockerfile, checked as data (no Docker engine runs here): the services,
 * pinned image tags, what is published, health checks and restart policies, and that the
 * variables the README documents are the ones the file uses.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

const root = path.resolve(__dirname, '..', '..');
const compose = parseYaml(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), {
  merge: true,
}) as {
  services: Record<
    string,
    {
      image?: string;
      build?: unknown;
      ports?: string[];
      restart?: string;
      healthcheck?: { test: unknown };
      environment?: Record<string, unknown>;
      depends_on?: Record<string, { condition: string }>;
    }
  >;
};
const composeText = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
const services = compose.services;

/** Variables in the README's Configuration table. */
const documented = new Set(
  [...readme.matchAll(/^\| `([A-Z][A-Z0-9_]+)`(?:, `([A-Z][A-Z0-9_]+)`)?/gm)]
    .flatMap((m) => [m[1], m[2]])
    .filter(Boolean),
);

describe('docker-compose.yml', () => {
  test('has the production services, schema set up by admin-tools before the server (no auto-setup)', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'api',
        'postgres',
        'temporal',
        'temporal-admin-tools',
        'temporal-create-namespace',
        'temporal-ui',
        'worker',
      ].sort(),
    );
    expect(services['temporal-admin-tools'].image).toBe('temporalio/admin-tools:1.29.1');
    expect(services.temporal.image).toBe('temporalio/server:1.29.1');
    expect(services.temporal.depends_on?.['temporal-admin-tools'].condition).toBe(
      'service_completed_successfully',
    );
    expect(Object.values(services).filter((s) => s.image?.includes('auto-setup'))).toEqual([]);
    expect(JSON.stringify(services['temporal-admin-tools'])).toContain('postgresql/v12/temporal/versioned');
    expect(JSON.stringify(services['temporal-admin-tools'])).toContain('postgresql/v12/visibility/versioned');
  });

  test('every image tag is pinned', () => {
    for (const [name, s] of Object.entries(services)) {
      if (!s.image) continue;
      const tag = s.image.slice(s.image.indexOf(':') + 1);
      expect({ name, tag }).toEqual({
        name,
        tag: expect.stringMatching(/^(\d+(\.\d+)*|\$\{LTC_VERSION:-local\})$/),
      });
    }
  });

  test('only the API is published; the Temporal frontend and UI stay on the compose network', () => {
    const published = Object.entries(services)
      .filter(([, s]) => s.ports?.length)
      .map(([name, s]) => [name, s.ports]);
    expect(published).toEqual([['api', ['3000:3000']]]);
  });

  test('every service has a health check and a restart policy', () => {
    for (const [name, s] of Object.entries(services)) {
      expect({ name, restart: s.restart }).toEqual({
        name,
        restart: expect.stringMatching(/^(unless-stopped|on-failure(:\d+)?)$/),
      });
      expect({ name, healthcheck: Boolean(s.healthcheck?.test) }).toEqual({ name, healthcheck: true });
    }
  });

  test('the API and the worker read only variables the README documents', () => {
    for (const name of ['api', 'worker']) {
      for (const variable of Object.keys(services[name].environment ?? {})) {
        expect({ service: name, variable, documented: documented.has(variable) }).toEqual({
          service: name,
          variable,
          documented: true,
        });
      }
    }
    expect(services.worker.environment?.WORKFLOW_BUNDLE_PATH).toBe('/app/dist/workflow-bundle.js');
    expect(services.api.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  test('the variables the README names for docker compose are the ones the file reads', () => {
    const section = readme.slice(
      readme.indexOf('**docker compose.**'),
      readme.indexOf('**Securing Temporal.**'),
    );
    const named = [...section.matchAll(/`([A-Z][A-Z0-9_]{3,})`/g)].map((m) => m[1]);
    expect(named.length).toBeGreaterThan(0);
    for (const v of new Set(named)) expect({ v, used: composeText.includes(v) }).toEqual({ v, used: true });
  });
});

describe('Dockerfile', () => {
  test('multi-stage, prebuilds the web app and the workflow bundle, runs as a non-root user', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/vite\.js build/);
    expect(dockerfile).toMatch(/scripts\/build-workflows\.ts/);
    expect(dockerfile).toMatch(/WORKFLOW_BUNDLE_PATH=\/app\/dist\/workflow-bundle\.js/);
    const users = [...dockerfile.matchAll(/^USER (\S+)/gm)].map((m) => m[1]);
    expect(users.at(-1)).toBe('node');
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
  });
});
