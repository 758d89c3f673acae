import express from 'express';
import request from 'supertest';
import { createLogger, errorHandler, type Logger, requestLogger, resolveRequestId } from '../../api/http';

function capture(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return {
    logger: createLogger('info', { destination: { write: (s: string) => lines.push(JSON.parse(s)) } }),
    lines,
  };
}

describe('requestLogger', () => {
  const { logger, lines } = capture();
  const app = express();
  app.use(requestLogger(logger));
  app.get('/id', (req, res) => {
    req.log.info('inside handler');
    res.json({ locals: res.locals.requestId, reqId: req.id });
  });
  app.get('/fail', () => {
    throw new Error('kaput');
  });
  app.use(errorHandler(logger));

  beforeEach(() => {
    lines.length = 0;
  });

  test('honours a safe incoming X-Request-Id', async () => {
    const res = await request(app).get('/id').set('X-Request-Id', 'abc-123_x.y:z');
    expect(res.headers['x-request-id']).toBe('abc-123_x.y:z');
    expect(res.body).toEqual({ locals: 'abc-123_x.y:z', reqId: 'abc-123_x.y:z' });
  });

  test.each(['', 'x'.repeat(65), 'has space', '<script>', 'a\u00e9'])(
    'replaces unsafe id %j with a UUID',
    async (bad) => {
      const res = await request(app).get('/id').set('X-Request-Id', bad);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.body.locals).toBe(res.headers['x-request-id']);
    },
  );

  test('generates an id when none is sent, and every log line carries it', async () => {
    const res = await request(app).get('/id').set('Authorization', 'Bearer super-secret');
    const id = res.headers['x-request-id'];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await new Promise((r) => setImmediate(r));
    const mine = lines.filter((l) => l.requestId === id);
    expect(mine.map((l) => l.msg)).toEqual(expect.arrayContaining(['inside handler', 'request completed']));
    expect(JSON.stringify(lines)).not.toContain('super-secret');
    expect(mine[0]).toMatchObject({ level: 'info' });
    expect(typeof mine[0].time).toBe('string');
  });

  test('500s are logged at error level with the request id from the response', async () => {
    const res = await request(app).get('/fail');
    expect(res.status).toBe(500);
    await new Promise((r) => setImmediate(r));
    const err = lines.find((l) => l.msg === 'unhandled error while processing request');
    expect(err).toMatchObject({ level: 'error', requestId: res.body.requestId });
    expect(err?.err).toMatchObject({ message: 'kaput' });
  });

  test('resolveRequestId', () => {
    expect(resolveRequestId(['a1', 'b2'])).toBe('a1');
    expect(resolveRequestId(undefined)).toMatch(/^[0-9a-f-]{36}$/);
  });
});

test('errorHandler alone still produces and logs a request id', async () => {
  const { logger, lines } = capture();
  const app = express();
  app.get('/x', () => {
    throw new Error('nope');
  });
  app.use(errorHandler(logger));
  const res = await request(app).get('/x');
  expect(res.status).toBe(500);
  expect(res.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(res.headers['x-request-id']).toBe(res.body.requestId);
  expect(lines[0]).toMatchObject({ requestId: res.body.requestId, level: 'error' });
});
