/**
 * A TCP proxy in front of a server (Postgres in the production-shaped stack), which can be cut and
 * restored: the chaos run makes Postgres unavailable this way without touching the real server,
 * which other programs on the machine may be using.
 */
import net from 'node:net';

export interface TcpProxy {
  port: number;
  /** Whether connections are let through right now. */
  readonly up: boolean;
  /** Close every open connection and refuse new ones (ECONNREFUSED) until `restore()`. */
  cut(): Promise<void>;
  restore(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }, port = 0): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let boundPort = port;
  let up = false;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const srv = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host);
        sockets.add(client);
        sockets.add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      srv.once('error', reject);
      srv.listen(boundPort, '127.0.0.1', () => {
        const addr = srv.address();
        if (typeof addr === 'object' && addr) boundPort = addr.port;
        server = srv;
        up = true;
        resolve();
      });
    });

  const close = () =>
    new Promise<void>((resolve) => {
      up = false;
      const srv = server;
      server = undefined;
      for (const s of sockets) s.destroy();
      sockets.clear();
      if (!srv) return resolve();
      srv.close(() => resolve());
    });

  await listen();
  return {
    get port() {
      return boundPort;
    },
    get up() {
      return up;
    },
    cut: close,
    restore: async () => {
      if (!up) await listen();
    },
    stop: close,
  };
}
