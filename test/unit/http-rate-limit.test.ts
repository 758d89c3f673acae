/**
 * The pure parts of the rate limits. The buckets themselves live in Postgres and are tested on it:
 * test/integration/rate-limit.test.ts.
 */
import type { RequestHandler } from 'express';
import request from 'supertest';
import { clientAddress, DEFAULT_RATE_LIMITS, resolveRateLimits, retryAfterSeconds } from '../../api/http';
import { thingsApp } from '../support/things-app';

describe('rate limit settings', () => {
  test('defaults: 600 writes and 3000 reads per user, 30 failed authentications per address, a minute', () => {
    expect(resolveRateLimits()).toEqual({
      writesPerMinute: 600,
      readsPerMinute: 3000,
      failedAuthPerMinute: 30,
    });
    expect(resolveRateLimits({ readsPerMinute: 5, writesPerMinute: undefined })).toEqual({
      ...DEFAULT_RATE_LIMITS,
      readsPerMinute: 5,
    });
  });

  test('a limit must be a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => resolveRateLimits({ writesPerMinute: bad })).toThrow(RangeError);
      expect(() => resolveRateLimits({ failedAuthPerMinute: bad })).toThrow(/failedAuthPerMinute/);
    }
  });
});

describe('Retry-After of a refused request', () => {
  // A bucket of 2 a minute refills one request every 30 s; a full minute ahead means empty.
  test('is the time until the bucket holds one request again, in whole seconds', () => {
    expect(retryAfterSeconds(60, 2)).toBe(30);
    expect(retryAfterSeconds(59.97, 2)).toBe(30);
    expect(retryAfterSeconds(40, 2)).toBe(10);
    expect(retryAfterSeconds(60, 600)).toBe(1);
  });

  test('is at least one second', () => {
    expect(retryAfterSeconds(30.2, 2)).toBe(1);
    expect(retryAfterSeconds(0, 2)).toBe(1);
  });
});

test('the client address of IPv4-mapped IPv6 is written as IPv4', () => {
  expect(clientAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
  expect(clientAddress('2001:db8::1')).toBe('2001:db8::1');
  expect(clientAddress('::ffff:abcd')).toBe('::ffff:abcd');
  expect(clientAddress(undefined)).toBe('unknown');
});

describe('the registry authenticates writes with their own handler', () => {
  const tag =
    (name: string): RequestHandler =>
    (_req, res, next) => {
      res.setHeader('x-auth', name);
      next();
    };

  test('reads run `authenticate`, writes `authenticateWrite`, public routes neither', async () => {
    const app = thingsApp({ authenticate: tag('read'), authenticateWrite: tag('write') });
    expect((await request(app).get('/things')).headers['x-auth']).toBe('read');
    expect((await request(app).post('/things').send({})).headers['x-auth']).toBe('write');
    expect((await request(app).get('/open')).headers['x-auth']).toBeUndefined();
  });

  test('without `authenticateWrite`, writes run `authenticate`', async () => {
    const app = thingsApp({ authenticate: tag('read') });
    expect((await request(app).post('/things').send({})).headers['x-auth']).toBe('read');
  });
});
