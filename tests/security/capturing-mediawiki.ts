import http from 'node:http';
import type net from 'node:net';

/** A MediaWiki stand-in on loopback that records every request it is sent. */
export interface CapturingMediaWiki {
  /** Its `api.php` URL. */
  url: string;
  /** Each request as `METHOD url` plus its body when it has one, in arrival order. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * `proxy`: forwards each request to the real wiki at `upstream` and returns its answer, so the
 * retriever gets real MediaWiki responses. `hang`: accepts connections and reads requests, never
 * answers.
 */
export async function capturingMediaWiki(options: { upstream?: string; mode?: 'proxy' | 'hang' }): Promise<CapturingMediaWiki> {
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const mode = options.mode ?? 'proxy';
  const server = http.createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (chunk: Buffer) => body.push(chunk));
    req.on('end', async () => {
      const text = Buffer.concat(body).toString('utf8');
      // Decoded as well as raw: the checks look for words, and a URL encodes spaces and '@'.
      const raw = `${req.method} ${req.url}${text ? `\n${text}` : ''}`;
      requests.push(`${raw}\n${safeDecode(raw)}`);
      if (mode === 'hang') return;
      try {
        const upstream = new URL(options.upstream!);
        const response = await fetch(new URL(req.url ?? '/', upstream.origin), {
          method: req.method ?? 'GET',
          ...(text ? { body: text, headers: { 'content-type': req.headers['content-type'] ?? 'application/x-www-form-urlencoded' } } : {}),
        });
        res.writeHead(response.status, { 'content-type': response.headers.get('content-type') ?? 'application/json' });
        res.end(Buffer.from(await response.arrayBuffer()));
      } catch {
        res.writeHead(502).end();
      }
    });
  });
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const path = options.upstream ? new URL(options.upstream).pathname : '/api.php';
  return {
    url: `http://127.0.0.1:${port}${path}`,
    requests,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}
