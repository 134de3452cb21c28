// The Wikipedia retriever against real stalled servers under load: every attempt that runs out of
// budget must close its connections, and a burst of first questions to a wiki that accepts
// connections and never answers must not all wait out the budget. Counts are taken server-side.
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WikipediaRetriever, type WikipediaStatus } from '../../retrieval/wikipedia/index.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

/** A server on a free loopback port that counts connections seen and still open. */
async function countingServer(server: net.Server): Promise<{ url: string; seen: () => number; open: () => number }> {
  const sockets = new Set<net.Socket>();
  let seen = 0;
  server.on('connection', (socket: net.Socket) => {
    seen++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // Read everything, so that the client closing its end is noticed here.
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${port}/api.php`, seen: () => seen, open: () => sockets.size };
}

/** Waits (up to 3 s) for `open()` to reach 0 and returns what it is then. */
async function openAfterSettling(open: () => number): Promise<number> {
  for (let i = 0; i < 60 && open() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  return open();
}

function retriever(options: ConstructorParameters<typeof WikipediaRetriever>[0]): WikipediaRetriever {
  const r = new WikipediaRetriever(options);
  closers.push(async () => r.close());
  return r;
}

function tally(statuses: WikipediaStatus[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

/** A tiny MediaWiki API: one search hit and its article, for every question. */
function answeringWiki(): http.Server {
  return http.createServer((req, res) => {
    const url = req.url ?? '';
    const json = url.includes('list=search')
      ? { query: { search: [{ ns: 0, title: 'Gout', pageid: 7 }] } }
      : url.includes('prop=pageprops')
        ? { query: {} }
        : { query: { pages: { '7': { pageid: 7, title: 'Gout', extract: 'Gout is a form of inflammatory arthritis.' } } } };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(json));
  });
}

describe('Wikipedia retriever under load', () => {
  it('closes the connections of every attempt that ran out of budget (the wiki accepts and never answers)', async () => {
    const wiki = await countingServer(net.createServer());
    const r = retriever({ apiUrl: wiki.url, budgetMs: 200, failureThreshold: 100 });
    for (let i = 0; i < 3; i++) {
      expect((await r.retrieve(`gout ${i}`)).status).toBe('timeout');
      expect(await openAfterSettling(wiki.open)).toBe(0);
    }
    // Search and title lookup, each on its own connection, per question.
    expect(wiki.seen()).toBeGreaterThanOrEqual(3);
  });

  it('closes the connection of an answer that stalls halfway through its body', async () => {
    const wiki = await countingServer(
      net.createServer((socket) => {
        socket.once('data', () =>
          socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n{"query": {"search": ['),
        );
      }),
    );
    const r = retriever({ apiUrl: wiki.url, budgetMs: 200, failureThreshold: 100 });
    expect((await r.retrieve('gout')).status).toBe('timeout');
    expect(wiki.seen()).toBeGreaterThan(0);
    expect(await openAfterSettling(wiki.open)).toBe(0);
  });

  it('lets only a few of 64 concurrent first questions wait for a wiki that never answers, and leaves no socket open', async () => {
    const wiki = await countingServer(net.createServer());
    const r = retriever({ apiUrl: wiki.url, budgetMs: 300 });
    const results = await Promise.all(Array.from({ length: 64 }, (_, i) => r.retrieve(`gout treatment ${i}`)));
    const counts = tally(results.map((result) => result.status));
    // The default two probes paid the budget; the other 62 were answered at once without a request.
    expect(counts).toEqual({ timeout: 2, 'open-circuit': 62 });
    // Two questions, each a search and a title lookup.
    expect(wiki.seen()).toBeLessThanOrEqual(4);
    expect(await openAfterSettling(wiki.open)).toBe(0);
  });

  it('lifts the limit once the wiki has answered: a burst then reaches it in full', async () => {
    const wiki = await countingServer(answeringWiki());
    const r = retriever({ apiUrl: wiki.url });
    expect((await r.retrieve('what causes gout')).status).toBe('ok');
    const results = await Promise.all(Array.from({ length: 32 }, (_, i) => r.retrieve(`gout diet ${i}`)));
    expect(tally(results.map((result) => result.status))).toEqual({ ok: 32 });
    expect(results[0]?.passages[0]?.title).toBe('Gout');
  });
});
