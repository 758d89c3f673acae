/**
 * A small HTTP reverse proxy: one public port in front of several API processes, round robin.
 *
 * - A request whose backend refuses the connection (a killed or restarting API) goes to the next
 *   backend: it never reached the first one, so this is safe for writes too.
 * - When no backend takes it, or the backend dies before answering, the client gets 503
 *   problem+json with `Retry-After` (a retried sign-off is then refused as already decided, or
 *   joined through its Idempotency-Key, so nothing is applied twice).
 * - X-Forwarded-For carries the client address (the APIs run with TRUST_PROXY=loopback).
 */
import http from 'node:http';

export interface Backend {
  port: number;
}

export interface Balancer {
  port: number;
  stop(): Promise<void>;
}

const MAX_BODY = 4 * 1024 * 1024;
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
]);

function unavailable(res: http.ServerResponse, detail: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({
    type: 'https://iron-triangle.dev/problems/service-unavailable',
    title: 'Service Unavailable',
    status: 503,
    detail,
  });
  res.writeHead(503, {
    'Content-Type': 'application/problem+json',
    'Retry-After': '2',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** `backends()` is read at every request, so a restarted API on a new port is picked up. */
export function startBalancer(backends: () => Backend[], port = 0, host = '127.0.0.1'): Promise<Balancer> {
  let next = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        res.writeHead(413, { 'Content-Type': 'application/problem+json' });
        res.end(JSON.stringify({ title: 'Payload Too Large', status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const list = backends();
      if (list.length === 0) return unavailable(res, 'No API process is available; retry shortly');
      const start = next++;
      const headers: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k)) headers[k] = v;
      const remote = req.socket.remoteAddress ?? '';
      headers['x-forwarded-for'] = req.headers['x-forwarded-for']
        ? `${req.headers['x-forwarded-for']}, ${remote}`
        : remote;
      headers['content-length'] = String(body.length);
      const attempt = (i: number) => {
        if (i >= list.length) return unavailable(res, 'No API process is available; retry shortly');
        const backend = list[(start + i) % list.length];
        let sent = false;
        const up = http.request(
          { host: '127.0.0.1', port: backend.port, method: req.method, path: req.url, headers, agent },
          (upRes) => {
            const out: http.OutgoingHttpHeaders = {};
            for (const [k, v] of Object.entries(upRes.headers)) if (!HOP_BY_HOP.has(k)) out[k] = v;
            res.writeHead(upRes.statusCode ?? 502, out);
            upRes.pipe(res);
            upRes.on('error', () => res.destroy());
          },
        );
        up.on('socket', (socket) => {
          // A reused keep-alive socket counts as connected.
          if (!socket.connecting) sent = true;
          else
            socket.once('connect', () => {
              sent = true;
            });
        });
        up.on('error', (err: NodeJS.ErrnoException) => {
          // Refused (or reset before a byte went out): the backend never saw it; try the next one.
          if (!sent || err.code === 'ECONNREFUSED') return attempt(i + 1);
          unavailable(res, 'The API process handling the request stopped; retry shortly');
        });
        up.end(body);
      };
      attempt(0);
    });
  });
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const addr = server.address();
      const bound = typeof addr === 'object' && addr ? addr.port : port;
      resolve({
        port: bound,
        stop: () =>
          new Promise<void>((r) => {
            agent.destroy();
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}
