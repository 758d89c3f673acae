import { ConfigError, parseDevEnv, parseEnv } from '../../config/env';

test('defaults apply when the environment is empty', () => {
  const env = parseDevEnv({});
  expect(env).toMatchObject({
    PORT: 3000,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: 'ltc-deals',
    DATA_DIR: '.data',
    LOG_LEVEL: 'info',
    TEMPORAL_PORT: 7233,
    TEMPORAL_UI_PORT: 8233,
    EMBEDDED_PG_PORT: 5433,
  });
  expect(env.DATABASE_URL).toBeUndefined();
  expect(env.TEMPORAL_ADDRESS).toBeUndefined();
  expect(env.TEMPORAL_CLI_PATH).toBeUndefined();
});

test('values are parsed and coerced', () => {
  const env = parseEnv({ PORT: '8080', DATABASE_URL: 'postgres://u@h:5432/db', LOG_LEVEL: 'debug' });
  expect(env.PORT).toBe(8080);
  expect(env.DATABASE_URL).toBe('postgres://u@h:5432/db');
  expect(env.LOG_LEVEL).toBe('debug');
});

test('dev stack ports and the Temporal CLI path', () => {
  const env = parseDevEnv({
    TEMPORAL_PORT: '7900',
    TEMPORAL_UI_PORT: '8900',
    EMBEDDED_PG_PORT: '5900',
    TEMPORAL_CLI_PATH: ' /opt/temporal/bin/temporal ',
  });
  expect(env).toMatchObject({
    TEMPORAL_PORT: 7900,
    TEMPORAL_UI_PORT: 8900,
    EMBEDDED_PG_PORT: 5900,
    TEMPORAL_CLI_PATH: '/opt/temporal/bin/temporal',
  });
  expect(parseDevEnv({ TEMPORAL_CLI_PATH: '' }).TEMPORAL_CLI_PATH).toBeUndefined();
  expect(parseDevEnv({ TEMPORAL_PORT: '65535' }).TEMPORAL_PORT).toBe(65535);
  for (const bad of ['0', '65536', '7233.5', 'temporal', '-1']) {
    for (const variable of ['TEMPORAL_PORT', 'TEMPORAL_UI_PORT', 'EMBEDDED_PG_PORT']) {
      let error: unknown;
      try {
        parseDevEnv({ [variable]: bad });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect({ bad, vars: (error as ConfigError).problems.map((p) => p.variable) }).toEqual({
        bad,
        vars: [variable],
      });
    }
  }
});

test('the API and the worker ignore the dev stack settings (e.g. a Kubernetes TEMPORAL_PORT=tcp://…)', () => {
  expect(() => parseEnv({ TEMPORAL_PORT: 'tcp://10.0.0.7:7233' })).not.toThrow();
  expect(() => parseDevEnv({ TEMPORAL_PORT: 'tcp://10.0.0.7:7233' })).toThrow(ConfigError);
});

test('a bad value is refused with the variable named', () => {
  const bad = {
    PORT: 'eighty',
    DATABASE_URL: 'mysql://x',
    LOG_LEVEL: 'loud',
    LTC_BOOTSTRAP_ADMIN_TOKEN: 'short',
  };
  let error: unknown;
  try {
    parseEnv(bad);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const vars = (error as ConfigError).problems.map((p) => p.variable).sort();
  expect(vars).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'LTC_BOOTSTRAP_ADMIN_TOKEN', 'PORT']);
  expect((error as ConfigError).message).toContain('PORT');
});

test('rate limits and the trusted proxies', () => {
  expect(parseEnv({})).toMatchObject({
    RATE_LIMIT_PER_MINUTE: 600,
    RATE_LIMIT_READS_PER_MINUTE: 3000,
    RATE_LIMIT_FAILED_AUTH_PER_MINUTE: 30,
  });
  expect(parseEnv({}).TRUST_PROXY).toBeUndefined();
  const trust = (v: string) => parseEnv({ TRUST_PROXY: v }).TRUST_PROXY;
  expect(trust('true')).toBe(true);
  expect(trust('false')).toBe(false);
  expect(trust('2')).toBe(2);
  expect(trust('loopback, 10.0.0.0/8, fd00::/8')).toBe('loopback, 10.0.0.0/8, fd00::/8');
  for (const [variable, bad] of [
    ['TRUST_PROXY', 'everyone'],
    ['TRUST_PROXY', '10.0.0.0/33'],
    ['TRUST_PROXY', '10.0.0.1,'],
    ['RATE_LIMIT_READS_PER_MINUTE', '0'],
    ['RATE_LIMIT_FAILED_AUTH_PER_MINUTE', '2.5'],
  ]) {
    expect(() => parseEnv({ [variable]: bad })).toThrow(variable);
  }
});

test('WEBHOOK_ALLOW_HOSTS: empty by default, host and host:port entries, a bad entry names the variable', () => {
  expect(parseEnv({}).WEBHOOK_ALLOW_HOSTS.size).toBe(0);
  expect([...parseEnv({ WEBHOOK_ALLOW_HOSTS: 'chat.internal, 10.0.0.5:8080' }).WEBHOOK_ALLOW_HOSTS]).toEqual([
    'chat.internal',
    '10.0.0.5:8080',
  ]);
  let error: unknown;
  try {
    parseEnv({ WEBHOOK_ALLOW_HOSTS: 'chat.internal, http://x/y' });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).problems).toEqual([
    { variable: 'WEBHOOK_ALLOW_HOSTS', message: '"http://x/y" is not a host or host:port' },
  ]);
});
