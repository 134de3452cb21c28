import type { Duplex } from 'node:stream';

const ANSWERS: Record<string, { status: number; reason: string; code: string; message: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    reason: 'Request Header Fields Too Large',
    code: 'HEADERS_TOO_LARGE',
    message: 'The request headers are too large.',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    reason: 'Request Timeout',
    code: 'REQUEST_TIMEOUT',
    message: 'The request was not received in time.',
  },
};
const MALFORMED = {
  status: 400,
  reason: 'Bad Request',
  code: 'INVALID_REQUEST',
  message: 'The request is not valid HTTP or its body ended before it was complete.',
};

/**
 * The server's `clientError` handler: a request Node cannot parse (a body cut short by the client
 * closing its side, broken chunked encoding, bad headers) is answered as every other error,
 * `{"error":{"code","message"}}`, where Node would send a bare 400 without a body, then the
 * connection is closed. Like Node's own handler, it writes nothing once a response has started.
 *
 * @example
 * server.on('clientError', answerClientError);
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const response = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code !== 'ECONNRESET' && socket.writable && !response?.headersSent) {
    const answer = ANSWERS[error.code ?? ''] ?? MALFORMED;
    const body = JSON.stringify({ error: { code: answer.code, message: answer.message } });
    socket.write(
      `HTTP/1.1 ${answer.status} ${answer.reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
