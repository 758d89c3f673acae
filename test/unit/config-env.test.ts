import { ConfigError, parseEnv } from '../../config/env';

test('defaults apply when the environment is empty', () => {
  const env = parseEnv({});
  expect(env).toMatchObject({
    PORT: 3000,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: 'ltc-deals',
    DATA_DIR: '.data',
    LOG_LEVEL: 'info',
  });
  expect(env.DATABASE_URL).toBeUndefined();
  expect(env.TEMPORAL_ADDRESS).toBeUndefined();
});

test('values are parsed and coerced', () => {
  const env = parseEnv({ PORT: '8080', DATABASE_URL: 'postgres://u@h:5432/db', LOG_LEVEL: 'debug' });
  expect(env.PORT).toBe(8080);
  expect(env.DATABASE_URL).toBe('postgres://u@h:5432/db');
  expect(env.LOG_LEVEL).toBe('debug');
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
