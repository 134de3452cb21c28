import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChatServer, type ChatServer } from './chat-server.js';

// The chat page end to end in Debian's Chromium (headless), against a real extractive server.
let chat: ChatServer;
let browser: Browser;

beforeAll(async () => {
  chat = await startChatServer();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  await chat?.cleanup();
});

describe('the chat page', () => {
  it('streams an answer with numbered citations linking to their sources', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(chat.server.url);
    await page.fill('#question', 'What are the symptoms of gout?');
    const streamed = page.waitForResponse(
      (r) => r.url().endsWith('/v1/chat') && r.headers()['content-type']?.startsWith('text/event-stream') === true,
    );
    await page.click('#send');
    await streamed;
    const answer = page.locator('.turn .answer').last();
    await expect.poll(() => answer.textContent(), { timeout: 20_000 }).toMatch(/Galen is not a doctor/);
    expect(await answer.textContent()).toMatch(/intense joint pain/);
    expect(await page.locator('.turn .mode').last().textContent()).toBe('extractive answer');
    const marker = answer.locator('a.cite').first();
    expect(await marker.textContent()).toMatch(/^\[\d+\]$/);
    expect(await marker.getAttribute('href')).toMatch(/^https:\/\/example\.org\//);
    const sources = page.locator('.citations li');
    await expect.poll(() => sources.count()).toBeGreaterThan(0);
    expect(await sources.first().textContent()).toMatch(/CC BY 4\.0/);
    expect(await page.locator('.banner').count()).toBe(0);
    expect(await page.locator('#disclaimer').textContent()).toMatch(/not a diagnosis/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows the emergency banner for a red-flag question', async () => {
    const page = await browser.newPage();
    await page.goto(chat.server.url);
    await page.fill('#question', 'I have crushing chest pain spreading to my left arm and I am sweating');
    await page.press('#question', 'Enter');
    const banner = page.locator('.banner.emergency');
    await banner.waitFor({ timeout: 20_000 });
    expect(await banner.getAttribute('role')).toBe('alert');
    expect(await banner.textContent()).toMatch(/heart attack/);
    await expect.poll(() => page.locator('.turn .answer').last().textContent(), { timeout: 20_000 }).toMatch(/^⚠️ This may be an emergency/);
    await page.close();
  });
});
