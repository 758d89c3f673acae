/**
 * Requests that Node's HTTP parser refuses before express sees them (a request line or headers
 * over the size limit, a malformed request) are answered as `application/problem+json` like every
 * other error, instead of Node's bare 400/431 with no body. Attach it to every server that serves
 * the app: `answerClientErrors(app.listen(port))`.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { HttpProblem, PROBLEM_CONTENT_TYPE } from './problem';

/** The problem Node's parser error becomes. */
export function clientErrorProblem(err: NodeJS.ErrnoException): HttpProblem {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new HttpProblem(431, {
        type: 'request-header-fields-too-large',
        detail: 'The request line or headers are too large',
      });
    case 'HPE_REQUEST_TIMEOUT':
      return new HttpProblem(408, { type: 'request-timeout', detail: 'The request took too long to arrive' });
    default:
      return new HttpProblem(400, { type: 'bad-request', detail: 'The request is not valid HTTP' });
  }
}

export function answerClientErrors(server: http.Server): http.Server {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // A reset connection, or one that already has a response under way, can only be closed.
    const busy = (socket as Duplex & { _httpMessage?: unknown })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || busy) {
      socket.destroy();
      return;
    }
    const problem = clientErrorProblem(err);
    const body = JSON.stringify(problem.toBody());
    socket.end(
      `HTTP/1.1 ${problem.status} ${problem.title}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  });
  return server;
}
