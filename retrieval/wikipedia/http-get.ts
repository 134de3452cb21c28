import http from 'node:http';
import https from 'node:https';
import { createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';
import { WikipediaError } from './errors.js';

/** How one GET may use the network. */
export interface HttpGetOptions {
  headers?: Record<string, string>;
  /** Aborting it ends the request at once and destroys its socket. */
  signal?: AbortSignal;
  /** Largest body accepted, bytes (after decompression). Default 16 MiB. */
  maxBytes?: number;
  /** Redirects followed. Default 3. */
  maxRedirects?: number;
}

/** What a GET answered. */
export interface HttpGetResponse {
  status: number;
  statusText: string;
  body: string;
}

/**
 * Keep-alive agents with bounded sockets per host. Node's `fetch` (undici) does not close a
 * socket when its request is aborted, so every abandoned request to a stalled wiki kept one open;
 * `http.request` with a signal destroys it, and these limits bound what load can open at all.
 */
const AGENT_OPTIONS = { keepAlive: true, maxSockets: 32, maxFreeSockets: 8, timeout: 15_000 };
const httpAgent = new http.Agent(AGENT_OPTIONS);
const httpsAgent = new https.Agent(AGENT_OPTIONS);

/**
 * One HTTP(S) GET: the body as text, decompressed, any status. Rejects with the signal's reason
 * when it is aborted (the socket destroyed, not returned to the pool), with a `WikipediaError`
 * `NETWORK` for connection trouble and `BAD_RESPONSE` for a body over `maxBytes`.
 *
 * @example
 * const { status, body } = await httpGet('http://127.0.0.1:8765/api.php?action=query', { signal: AbortSignal.timeout(1500) });
 */
export async function httpGet(url: string, options: HttpGetOptions = {}): Promise<HttpGetResponse> {
  const maxRedirects = options.maxRedirects ?? 3;
  let target = new URL(url);
  for (let hop = 0; ; hop++) {
    const response = await getOnce(target, options);
    if ('redirect' in response) {
      if (hop >= maxRedirects) throw new WikipediaError('NETWORK', `more than ${maxRedirects} redirects`);
      target = new URL(response.redirect, target);
      continue;
    }
    return response;
  }
}

function getOnce(url: URL, options: HttpGetOptions): Promise<HttpGetResponse | { redirect: string }> {
  const { signal } = options;
  const maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const secure = url.protocol === 'https:';
    if (!secure && url.protocol !== 'http:') return reject(new WikipediaError('NETWORK', `unsupported protocol ${url.protocol}`));
    let settled = false;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      request.destroy();
      reject(error);
    };
    const onAbort = (): void => fail(signal?.reason);
    const request = (secure ? https : http).get(
      url,
      {
        agent: secure ? httpsAgent : httpAgent,
        headers: { 'accept-encoding': 'gzip, deflate', ...options.headers },
      },
      (response) => {
        const status = response.statusCode ?? 0;
        const location = response.headers.location;
        if (status >= 300 && status < 400 && location) {
          // The body of a redirect is not wanted; reading it to the end lets the socket be reused.
          response.resume();
          response.on('end', () => {
            settled = true;
            signal?.removeEventListener('abort', onAbort);
            resolve({ redirect: location });
          });
          response.on('error', fail);
          return;
        }
        const encoding = String(response.headers['content-encoding'] ?? '').toLowerCase();
        let stream: Readable = response;
        if (encoding === 'gzip' || encoding === 'deflate') {
          stream = response.pipe(encoding === 'gzip' ? createGunzip() : createInflate());
          response.on('error', fail);
        }
        const chunks: Buffer[] = [];
        let bytes = 0;
        stream.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > maxBytes) fail(new WikipediaError('BAD_RESPONSE', `response larger than ${maxBytes} bytes`));
          else chunks.push(chunk);
        });
        stream.on('error', (error) => fail(new WikipediaError('BAD_RESPONSE', `unreadable body: ${error.message}`, { cause: error })));
        stream.on('end', () => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          resolve({ status, statusText: response.statusMessage ?? '', body: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    request.on('error', (error) => fail(settled ? error : new WikipediaError('NETWORK', error.message, { cause: error })));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
