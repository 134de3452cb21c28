import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLanguageModel, type OnnxLanguageModel } from '../../model/index.js';
import { FEEDBACK_FILE } from '../../server/feedback/index.js';
import { ApiKeyStore } from '../../server/security/index.js';
import { ROOT, SHARED } from '../helpers/paths.js';
import { startChatServer, type ChatServer } from './chat-server.js';

// The chat page end to end in Debian's Chromium (headless) against real servers: an extractive one
// (the mini corpus plus a hostile document), one that needs keys, and a generative one (the tiny
// stories260k LLaMA, whose tokens stream over time; its text is nonsense).
const HOSTILE = join(ROOT, 'tests', 'server', 'fixtures', 'hostile-page-corpus.jsonl');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let chat: ChatServer;
let keyed: ChatServer;
let generative: ChatServer;
let model: OnnxLanguageModel;
let clinicianKey: string;
let browser: Browser;

beforeAll(async () => {
  // One batch slot, so a generation of the test's own can hold the model while the page waits.
  model = await loadLanguageModel(join(SHARED, 'models', 'stories260k'), { maxBatchSize: 1, maxQueuedRequests: 1 });
  [chat, keyed, generative] = await Promise.all([
    startChatServer({}, { extraCorpora: [{ source: 'hostile', path: HOSTILE, license: 'CC0', attribution: 'test' }] }),
    startChatServer({ security: { anonymousRole: 'none' } }),
    startChatServer({ answer: { passages: 3, maxNewTokens: 40, temperature: 0 } }, { dependencies: { model } }),
  ]);
  const keys = ApiKeyStore.open({ dataDir: keyed.dataDir });
  clinicianKey = keys.create({ role: 'clinician' }).key;
  keys.close();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: FLAGS });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([chat?.cleanup(), keyed?.cleanup(), generative?.cleanup()]);
  await model?.close();
});

interface Opened {
  context: BrowserContext;
  page: Page;
  errors: string[];
  /** Every URL the page requested. */
  requests: string[];
}

async function open(server: ChatServer, options: BrowserContextOptions = {}): Promise<Opened> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(server.server.url);
  return { context, page, errors, requests };
}

/** Asks a question and waits for the finished answer's tools (or an error). */
async function ask(page: Page, question: string): Promise<void> {
  const before = await page.locator('.turn').count();
  await page.fill('#question', question);
  await page.press('#question', 'Enter');
  await page.locator('.turn').nth(before).locator('.tools:not([hidden]), .error').first().waitFor({ timeout: 30_000 });
}

/** The displayed marker numbers of the last answer, in reading order. */
async function markerNumbers(page: Page): Promise<number[]> {
  return (await page.locator('.turn').last().locator('.answer a.cite').allTextContents()).map((t) => Number(t.slice(1, -1)));
}

/** Evaluates a script in the page (a string: the test's TypeScript has no DOM types). */
async function inPage<T>(page: Page, script: string): Promise<T> {
  return (await page.evaluate(script)) as T;
}

interface AxeViolation {
  id: string;
  impact: string;
  nodes: Array<{ target: string[] }>;
}

async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const violations = await inPage<AxeViolation[]>(page, 'axe.run(document).then((r) => r.violations)');
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

describe('the chat page', () => {
  it('streams an answer as paragraphs with sources numbered 1..n in order of first use, titled for people', async () => {
    const { context, page, errors } = await open(chat);
    // Two types asked: the answer quotes two passages, one per paragraph.
    await page.fill('#question', 'What are the symptoms of gout and how is it treated?');
    const streamed = page.waitForResponse(
      (r) => r.url().endsWith('/v1/chat') && r.headers()['content-type']?.startsWith('text/event-stream') === true,
    );
    await page.click('#send');
    await streamed;
    const turn = page.locator('.turn').last();
    await turn.locator('.tools:not([hidden])').waitFor({ timeout: 30_000 });
    const answer = turn.locator('.answer');
    expect(await answer.textContent()).toMatch(/intense joint pain/);
    expect(await answer.textContent()).toMatch(/colchicine/);
    expect(await answer.locator('p').count()).toBeGreaterThanOrEqual(3);
    expect(await answer.locator('p').last().textContent()).toMatch(/^Galen is not a doctor/);
    expect(await turn.locator('.mode').textContent()).toBe('Quoted from sources (no AI model)');

    // The page numbers the sources 1..n in reading order, no gaps, whatever numbers the API used.
    const shown = await markerNumbers(page);
    const firstUse = shown.filter((n, i) => shown.indexOf(n) === i);
    expect(firstUse.length).toBeGreaterThanOrEqual(2);
    expect(firstUse).toEqual(firstUse.map((_n, i) => i + 1));
    const sources = turn.locator('.citations li');
    expect(await sources.count()).toBe(firstUse.length);
    expect(await answer.locator('a.cite').first().getAttribute('href')).toMatch(/^https:\/\/example\.org\//);
    expect(await sources.first().locator('a.src-title').getAttribute('href')).toBe(
      await answer.locator('a.cite').first().getAttribute('href'),
    );
    expect(await sources.first().locator('.src-title').textContent()).toBe('Gout');
    expect(await sources.first().locator('.src-section').textContent()).toBe(' — Symptoms');
    expect(await sources.first().locator('.src-site').textContent()).toBe('example.org');

    // No internal ids, no MedQuAD question titles, the licence once per answer in the sources' footer.
    const text = (await turn.locator('.reply').textContent()) ?? '';
    expect(text).not.toMatch(/GOUT_1_Sec|MI_1_Sec|What is \(are\)|What are the symptoms of/);
    expect(await sources.allTextContents()).not.toContainEqual(expect.stringMatching(/CC BY/));
    expect(await turn.locator('.licences').count()).toBe(1);
    expect(await turn.locator('.licences').textContent()).toMatch(/^Source texts: CC BY 4\.0 — Galen test corpus[.;]/);

    // A preview of the passage on hover, and on keyboard focus.
    const first = answer.locator('.cite-wrap').first();
    expect(await first.locator('.preview').isVisible()).toBe(false);
    await first.locator('a.cite').hover();
    expect(await first.locator('.preview').isVisible()).toBe(true);
    expect(await first.locator('.preview').textContent()).toMatch(/Gout — Symptomsexample\.orgSymptoms of gout include/);
    await page.mouse.move(0, 0);
    const second = answer.locator('.cite-wrap').nth(1);
    await second.locator('a.cite').focus();
    expect(await second.locator('.preview').isVisible()).toBe(true);
    expect(await page.locator('#disclaimer').textContent()).toMatch(/not a diagnosis/);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows raw HTML from a source as text and never links anything but http(s)', async () => {
    const { context, page, errors } = await open(chat);
    await ask(page, 'What are the symptoms of zebra fever?');
    const turn = page.locator('.turn').last();
    expect(await turn.locator('.answer').textContent()).toMatch(/striped rashes <img src=x/);
    expect(await inPage<string | undefined>(page, 'window.__galenXss')).toBeUndefined();
    expect(await page.locator('.answer img, .answer script').count()).toBe(0);
    const hrefs = await page.locator('a[href]').evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''));
    for (const href of hrefs) expect(href).toMatch(/^(https?:|#)/);
    expect(await turn.locator('.citations li').count()).toBeGreaterThan(0);
    const zebra = turn.locator('.citations li', { hasText: 'Zebra fever' });
    expect(await zebra.count()).toBe(1);
    expect(await zebra.locator('a').count()).toBe(0);
    expect(await zebra.locator('.src-title').textContent()).toBe('Zebra fever');
    expect(await zebra.locator('.src-section').textContent()).toBe(' — Symptoms');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('renders a generated answer as its tokens arrive', async () => {
    const { context, page, errors } = await open(generative);
    await inPage(
      page,
      `window.lengths = [];
      new MutationObserver(() => {
        const length = document.querySelector('.turn .answer')?.textContent?.length ?? 0;
        if (length && window.lengths.at(-1) !== length) window.lengths.push(length);
      }).observe(document.getElementById('conversation'), { childList: true, subtree: true, characterData: true });`,
    );
    await ask(page, 'What is gout?');
    expect(await page.locator('.turn .mode').textContent()).toBe('Written by an AI model from the sources');
    // 40 tokens arrive over a few hundred milliseconds: the answer grew in several steps.
    expect((await inPage<number[]>(page, 'window.lengths')).length).toBeGreaterThanOrEqual(3);
    expect(await page.locator('.turn .error').count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('stops a waiting answer on request and keeps the turn, with no error', async () => {
    const { context, page, errors } = await open(generative);
    // A long generation of the test's own holds the model's only slot, so the page's question waits.
    const hold = new AbortController();
    const holding = model.stream('Once upon a time', { maxNewTokens: 500, temperature: 1, seed: 1, signal: hold.signal });
    try {
      await page.fill('#question', 'What is gout?');
      await page.press('#question', 'Enter');
      await page.locator('.turn .mode[data-mode=generative]').waitFor({ timeout: 30_000 });
      expect(await page.locator('#send').isVisible()).toBe(false);
      await page.click('#stop');
      const turn = page.locator('.turn').last();
      await turn.locator('.tools:not([hidden])').waitFor({ timeout: 10_000 });
      expect(await turn.locator('.stopped').textContent()).toMatch(/^Stopped/);
      expect(await turn.locator('.error').count()).toBe(0);
      expect(await page.locator('#send').isVisible()).toBe(true);
      expect(await page.locator('#stop').isVisible()).toBe(false);
      expect(errors).toEqual([]);
    } finally {
      hold.abort();
      await holding.result.catch(() => undefined);
      await context.close();
    }
  }, 60_000);

  it('keeps conversations in this browser only: new chat, history, reopen, clear; copies, regenerates, takes feedback', async () => {
    const { context, page, errors, requests } = await open(chat, { permissions: ['clipboard-read', 'clipboard-write'] });
    await ask(page, 'What are the symptoms of gout?');
    await ask(page, 'How is gout treated?');
    expect(await page.locator('.turn').count()).toBe(2);
    // Only the last answer can be regenerated; regenerating replaces it.
    expect(await page.locator('.turn').first().locator('button.regenerate').isVisible()).toBe(false);
    await page.locator('.turn').last().locator('button.regenerate').click();
    await page.locator('.turn').nth(1).locator('.tools:not([hidden])').waitFor({ timeout: 30_000 });
    expect(await page.locator('.turn').count()).toBe(2);
    expect(await page.locator('.turn .question').last().textContent()).toMatch(/How is gout treated\?/);

    // Copy: the answer with the page's numbers and its sources.
    await page.locator('.turn').first().locator('button.copy').click();
    const copied = await inPage<string>(page, 'navigator.clipboard.readText()');
    expect(copied).toMatch(/intense joint pain.*\[1\]/s);
    expect(copied).toMatch(/\nSources:\n\[1\] Gout — Symptoms https:\/\/example\.org\/gout/);

    // Feedback: stored by the server without the question.
    await page.locator('.turn').first().locator('button.rate-down').click();
    await page.locator('.turn').first().locator('form.feedback textarea').fill('It missed the diet advice');
    await page.locator('.turn').first().locator('form.feedback button[type=submit]').click();
    await page.locator('.turn').first().locator('.thanks').waitFor();
    expect(await page.locator('.turn').first().locator('button.rate-down').getAttribute('aria-pressed')).toBe('true');
    const lines = readFileSync(join(chat.dataDir, FEEDBACK_FILE), 'utf8').split('\n').filter(Boolean);
    const stored = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
    expect(stored).toMatchObject({ rating: 'down', note: 'It missed the diet advice', mode: 'extractive' });
    expect(String(stored.answerId)).toMatch(/^ans-/);
    expect(stored.question).toBeUndefined();

    // History survives a reload, reopens, and is cleared on request.
    await page.click('#new-chat');
    expect(await page.locator('.turn').count()).toBe(0);
    expect(await page.locator('#welcome').isVisible()).toBe(true);
    await page.reload();
    await page.click('#toggle-history');
    const entries = page.locator('#history-list button');
    expect(await entries.count()).toBe(1);
    expect(await entries.first().textContent()).toBe('What are the symptoms of gout?');
    await entries.first().click();
    expect(await page.locator('.turn').count()).toBe(2);
    expect(await page.locator('.turn').first().locator('.citations li').count()).toBeGreaterThan(0);
    expect(await page.locator('.turn').first().locator('button.rate-down').getAttribute('aria-pressed')).toBe('true');
    page.once('dialog', (d) => void d.accept());
    await page.click('#clear-history');
    expect(await entries.count()).toBe(0);
    expect(await inPage<string | null>(page, "localStorage.getItem('galen.conversations.v1')")).toBeNull();

    // Nothing left for anywhere but this Galen server.
    const origin = new URL(chat.server.url).origin;
    expect(requests.filter((u) => new URL(u).origin !== origin)).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);

  it('words errors for people, keeps the typed question, and keeps the key for the session unless remembered', async () => {
    const { context, page } = await open(keyed);
    await ask(page, 'What are the symptoms of gout?');
    const turn = page.locator('.turn').last();
    expect(await turn.locator('.error').textContent()).toBe(
      'Galen needs an API key for this server — ask your administrator, then enter it under “API key” below.',
    );
    expect(await page.inputValue('#question')).toBe('What are the symptoms of gout?');
    expect(await turn.locator('.mode').isVisible()).toBe(false);
    expect(await page.locator('#key-box').getAttribute('open')).not.toBeNull();

    await page.fill('#api-key', 'galen_not_a_real_key');
    await page.press('#question', 'Enter');
    await page.locator('.turn .error').last().waitFor();
    expect(await page.locator('.turn .error').last().textContent()).toMatch(/^This API key was not accepted/);
    expect(await page.inputValue('#question')).toBe('What are the symptoms of gout?');

    await page.fill('#api-key', clinicianKey);
    await page.press('#question', 'Enter');
    await page.locator('.turn .tools:not([hidden])').last().waitFor({ timeout: 30_000 });
    expect(await page.locator('.turn').count()).toBe(1);
    expect(await inPage<string | null>(page, "sessionStorage.getItem('galen.apiKey')")).toBe(clinicianKey);
    expect(await inPage<string | null>(page, "localStorage.getItem('galen.apiKey')")).toBeNull();
    await page.reload();
    expect(await page.inputValue('#api-key')).toBe(clinicianKey);
    const other = await context.newPage();
    await other.goto(keyed.server.url);
    expect(await other.inputValue('#api-key')).toBe('');
    await page.click('#key-box summary');
    await page.check('#remember-key');
    expect(await inPage<string | null>(page, "localStorage.getItem('galen.apiKey')")).toBe(clinicianKey);
    expect(await inPage<string | null>(page, "sessionStorage.getItem('galen.apiKey')")).toBeNull();
    await other.reload();
    expect(await other.inputValue('#api-key')).toBe(clinicianKey);
    expect(await other.isChecked('#remember-key')).toBe(true);
    await context.close();
  }, 60_000);

  it('shows the emergency banner for a red-flag question', async () => {
    const { context, page } = await open(chat);
    await ask(page, 'I have crushing chest pain spreading to my left arm and I am sweating');
    const banner = page.locator('.banner.emergency');
    expect(await banner.getAttribute('role')).toBe('alert');
    expect(await banner.textContent()).toMatch(/heart attack/);
    expect(await page.locator('.turn .answer').last().textContent()).toMatch(/^⚠️ This may be an emergency/);
    await context.close();
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`has no serious or critical accessibility violations (axe-core, ${colorScheme} theme)`, async () => {
      const { context, page } = await open(chat, { colorScheme });
      expect(await seriousViolations(page)).toEqual([]);
      await ask(page, 'I have crushing chest pain spreading to my left arm and I am sweating');
      await ask(page, 'What are the symptoms of gout?');
      await page.locator('.turn').last().locator('button.rate-up').click();
      await page.locator('.turn').last().locator('.answer a.cite').first().focus();
      await page.locator('#key-box summary').click();
      expect(await seriousViolations(page)).toEqual([]);
      await page.click('#toggle-history');
      expect(await seriousViolations(page)).toEqual([]);
      await context.close();
    }, 60_000);
  }

  it('keeps the question box in view on a phone after answers (390×844)', async () => {
    const { context, page } = await open(chat, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await ask(page, 'What are the symptoms of gout?');
    await ask(page, 'I have crushing chest pain spreading to my left arm and I am sweating');
    await ask(page, 'How is high blood pressure treated?');
    for (const selector of ['#question', '#send']) {
      const box = (await page.locator(selector).boundingBox())!;
      expect(box.y).toBeGreaterThanOrEqual(0);
      expect(box.y + box.height).toBeLessThanOrEqual(844);
    }
    expect(await inPage<number>(page, 'document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  }, 60_000);
});
