import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChatServer, type ChatServer } from './chat-server.js';

// The chat page over plain HTTP at a host name that is not localhost (Chromium resolves
// galen.test to the loopback server): the security policy must not upgrade the page's own
// stylesheet and script to https, which nothing answers.
const HOST = 'galen.test';
let chat: ChatServer;
let browser: Browser;

beforeAll(async () => {
  chat = await startChatServer({ security: { allowedHosts: [HOST] } });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', `--host-resolver-rules=MAP ${HOST} 127.0.0.1`],
  });
});

afterAll(async () => {
  await browser?.close();
  await chat?.cleanup();
});

describe('the chat page over plain HTTP at a host name', () => {
  it('sends no upgrade-insecure-requests without TLS', async () => {
    const res = await fetch(`${chat.server.url}/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).not.toMatch(/upgrade-insecure-requests/);
  });

  it('loads its stylesheet and script over http and answers', async () => {
    const port = new URL(chat.server.url).port;
    const page = await browser.newPage();
    const failed: string[] = [];
    page.on('requestfailed', (r) => failed.push(r.url()));
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    await page.goto(`http://${HOST}:${port}/`);
    await page.fill('#question', 'What are the symptoms of gout?');
    await page.click('#send');
    const answer = page.locator('.turn .answer').last();
    await expect.poll(() => answer.textContent(), { timeout: 20_000 }).toMatch(/intense joint pain/);
    expect(failed).toEqual([]);
    expect(requested.filter((u) => u.startsWith('https://'))).toEqual([]);
    expect(requested.some((u) => u.endsWith('/web/app.css'))).toBe(true);
    await page.close();
  });
});
