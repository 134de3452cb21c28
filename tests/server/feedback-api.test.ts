import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEEDBACK_FILE } from '../../server/feedback/index.js';
import { ApiKeyStore } from '../../server/security/index.js';
import { startChatServer, type ChatServer } from './chat-server.js';

// POST /v1/feedback against real servers: what lands in <dataDir>/feedback.jsonl, and what is refused.
let plain: ChatServer;
let logging: ChatServer;

beforeAll(async () => {
  [plain, logging] = await Promise.all([startChatServer(), startChatServer({ security: { audit: { includeQuestions: true } } })]);
});

afterAll(async () => {
  await plain?.cleanup();
  await logging?.cleanup();
});

function stored(chat: ChatServer): Array<Record<string, unknown>> {
  return readFileSync(join(chat.dataDir, FEEDBACK_FILE), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const verdict = {
  answerId: 'ans-6f1d0c1e-0000-4000-8000-000000000001',
  rating: 'down',
  note: 'Wrong for my patient John Smith, call me on 555-123-4567',
  mode: 'extractive',
  sources: ['GOUT_1_Sec2'],
  question: 'My name is Zebulon Fairweather and my gout hurts, what helps?',
  answer: 'Gout is treated with anti-inflammatory medicines [1].',
};

describe('POST /v1/feedback', () => {
  it('stores the rating and a redacted note, never the question or answer while question logging is off', async () => {
    const res = await plain.post('/v1/feedback', verdict);
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ stored: { note: true, question: false } });
    const [line] = stored(plain).filter((r) => r.answerId === verdict.answerId);
    expect(line).toMatchObject({
      answerId: verdict.answerId,
      rating: 'down',
      mode: 'extractive',
      sources: ['GOUT_1_Sec2'],
      who: 'anonymous',
    });
    expect(line!.time).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(line!.question).toBeUndefined();
    expect(line!.answer).toBeUndefined();
    const file = readFileSync(join(plain.dataDir, FEEDBACK_FILE), 'utf8');
    for (const secret of ['Zebulon', 'Fairweather', 'gout hurts', '555-123-4567', 'anti-inflammatory']) expect(file).not.toContain(secret);
    expect(String(line!.note)).toMatch(/^Wrong for my patient/);
    expect(statSync(join(plain.dataDir, FEEDBACK_FILE)).mode & 0o777).toBe(0o600);
  });

  it('keeps the question and answer, redacted, when the operator turned question logging on', async () => {
    const res = await logging.post('/v1/feedback', { ...verdict, rating: 'up', note: '' });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ stored: { note: false, question: true } });
    const [line] = stored(logging);
    expect(line).toMatchObject({ rating: 'up', answer: verdict.answer });
    expect(String(line!.question)).toMatch(/gout hurts/);
    expect(String(line!.question)).not.toMatch(/Zebulon/);
  });

  it('refuses a malformed verdict with a 400 naming the field, and stores nothing', async () => {
    const before = stored(plain).length;
    const bad: Array<[unknown, RegExp]> = [
      [{ ...verdict, rating: 'meh' }, /^rating: /],
      [{ rating: 'up' }, /^answerId: /],
      [{ ...verdict, answerId: '../../etc/passwd' }, /^answerId: /],
      [{ ...verdict, note: 'x'.repeat(2001) }, /^note: .*2,000/],
      [{ ...verdict, extra: true }, /extra/],
      [{ ...verdict, sources: 'GOUT_1_Sec2' }, /^sources: /],
    ];
    for (const [body, message] of bad) {
      const res = await plain.post('/v1/feedback', body);
      expect(res.status).toBe(400);
      const error = ((await res.json()) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('INVALID_REQUEST');
      expect(error.message).toMatch(message);
    }
    expect((await plain.post('/v1/feedback', '{"answerId":')).status).toBe(400);
    expect(stored(plain).length).toBe(before);
  });

  it('needs the clinician role: a key when anonymous callers have none', async () => {
    const strict = await startChatServer({ security: { anonymousRole: 'none' } });
    try {
      expect((await strict.post('/v1/feedback', verdict)).status).toBe(401);
      const keys = ApiKeyStore.open({ dataDir: strict.dataDir });
      const key = keys.create({ role: 'clinician' }).key;
      keys.close();
      const res = await strict.post('/v1/feedback', verdict, { authorization: `Bearer ${key}` });
      expect(res.status).toBe(201);
      expect(stored(strict)[0]!.who).toMatch(/^key:/);
    } finally {
      await strict.cleanup();
    }
  });
});
