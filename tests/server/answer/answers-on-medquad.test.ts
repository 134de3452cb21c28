import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../server/config/index.js';
import { startServer, type RunningServer } from '../../../server/http/start-server.js';
import { createLogger } from '../../../server/logging/logger.js';
import type { Citation } from '../../../server/answer/index.js';
import { ROOT, tempDir } from '../../helpers/paths.js';
import { markers, parseSse } from '../chat-server.js';

// One real server over the bundled MedQuAD seed corpus (seeded on start; Wikipedia and vectors off,
// as on a machine without internet), asked over real HTTP.
let server: RunningServer;
let cleanup: () => void;

beforeAll(async () => {
  const tmp = tempDir('galen-answers-');
  cleanup = tmp.cleanup;
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir: join(tmp.dir, 'data'),
      server: { port: 0 },
      seed: { enabled: true },
      wikipedia: { enabled: false },
      vectors: { enabled: false },
    },
  });
  server = await startServer(config, createLogger('silent'));
  await server.ready;
}, 120_000);

afterAll(async () => {
  await server?.close();
  cleanup?.();
});

interface AnswerBody {
  answer: string;
  citations: Citation[];
  abstained: boolean;
  questionType: string;
  triage: { level: string };
}

async function ask(content: string): Promise<AnswerBody> {
  const res = await fetch(`${server.url}/v1/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content }] }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as AnswerBody;
}

/** The answer without the disclaimer (and any urgent-care guidance before it). */
function body(answer: AnswerBody): string {
  return answer.answer.replace(/\n\nGalen (?:is not a doctor|不是医生)[^\n]*$/, '');
}

/** Citations numbered 1..n in order of first use, each marker one of them, each of them used. */
function expectCitationsByFirstUse(answer: AnswerBody): void {
  const used = [...new Set(markers(answer.answer))];
  expect(used).toEqual(used.map((_, i) => i + 1));
  expect(answer.citations.map((c) => c.n)).toEqual(used);
}

describe('extractive answers on the MedQuAD seed corpus', () => {
  it('answers "What are the symptoms of gout?" from the symptoms passage, leading with its opening', async () => {
    const answer = await ask('What are the symptoms of gout?');
    expect(answer.abstained).toBe(false);
    expect(answer.citations[0]!.title).toBe('Gout');
    expect(answer.citations[0]!.section).toMatch(/symptoms of Gout/i);
    expect(body(answer)).toMatch(/^Gout is a form of arthritis that causes sudden onset of intense pain and swelling in the joints/);
    expect(body(answer)).not.toMatch(/does not have any symptoms|hyperuricemia alone/);
    expectCitationsByFirstUse(answer);
  });

  it('answers mpox from Monkeypox or abstains, and never quotes other tests', async () => {
    const answer = await ask('what is mpox and how is it tested?');
    expect(answer.answer).not.toMatch(/heart failure|glucose|tolerance test|procedure preparation/i);
    if (answer.abstained) expect(answer.citations).toEqual([]);
    else for (const c of answer.citations) expect(c.title).toMatch(/monkeypox/i);
    // The passage's closing attribution is no sentence to quote ("…: Centers for Disease Control and Prevention [1]").
    expect(answer.answer).not.toMatch(/Centers for Disease Control and Prevention \[\d\]/);
    const named = await ask('How is monkeypox diagnosed?');
    expect(named.abstained).toBe(false);
    expect(named.citations.map((c) => c.title)).toEqual(['Monkeypox Virus Infections']);
    expect(body(named)).toMatch(
      /^The sources do not say how Monkeypox Virus Infections is diagnosed or tested; they describe what it is: Monkeypox is a rare viral disease/,
    );
  });

  it('says plainly when the sources do not say whether ibuprofen can be taken with lisinopril', async () => {
    const answer = await ask('can i take ibuprofen with lisinopril');
    if (answer.abstained) {
      expect(answer.citations).toEqual([]);
      expect(body(answer)).toMatch(/do not say whether ibuprofen and lisinopril can be taken together/);
    } else {
      expect(body(answer)).toMatch(/ibuprofen|NSAID/i);
      expect(body(answer)).toMatch(/lisinopril/i);
    }
    expect(body(answer)).not.toMatch(/comes as a tablet|microscopic colitis/i);
  });

  it('abstains on every question of the unanswerable list, in English and Chinese, citing nothing', async () => {
    const questions = readFileSync(join(ROOT, 'server', 'eval', 'sets', 'unanswerable-questions.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { id: string; question: string; language: string });
    expect(questions.some((q) => q.language === 'zh')).toBe(true);
    const answered: string[] = [];
    for (const q of questions) {
      const answer = await ask(q.question);
      if (!answer.abstained) answered.push(q.id);
      else {
        expect(answer.citations).toEqual([]);
        expect(markers(answer.answer)).toEqual([]);
        expect(body(answer)).toBe(
          q.language === 'zh'
            ? 'Galen 的资料没有涉及这个问题，因此无法根据资料回答。'
            : "Galen's sources do not cover this question, so I cannot answer it from them.",
        );
      }
    }
    // The target is 90 %; the known miss: "speed" is a street name of methamphetamine in MedQuAD.
    expect(answered.length / questions.length).toBeLessThanOrEqual(0.1);
    expect(answered).not.toContain('unanswerable-zh-bicycle');
  });

  it('still puts urgent-care guidance first when it abstains on a red flag', async () => {
    const answer = await ask('I have crushing chest pain while fixing my bicycle tyre');
    expect(answer.triage.level).toBe('emergency');
    expect(answer.answer.startsWith('⚠️')).toBe(true);
  });

  it('answers a description of symptoms naming no cause with a hedged differential of cited conditions', async () => {
    const answer = await ask(
      'Doctor, I have severe joint pain, stiffness in my neck and lower back, and tingling in my arms. What could it be?',
    );
    const text = body(answer);
    expect(answer.abstained).toBe(false);
    expect(text).toMatch(/^Symptoms like these \(joint pain, [^)]*neck pain[^)]*\) can occur with several conditions, among them /);
    // Two or three conditions, each quoted with its own citation, in the order named.
    const named = /among them (.*?); the sources cannot tell which/.exec(text)![1]!.split(/, | or /);
    expect(named.length).toBeGreaterThanOrEqual(2);
    expect(named.length).toBeLessThanOrEqual(3);
    expect(answer.citations.map((c) => c.title)).toEqual(named);
    expect(markers(text)).toEqual(named.map((_, i) => i + 1));
    expect(text).toMatch(/Only a clinician who examines you can find the cause/);
    // A named disease is answered as asked, not as a differential.
    expect(body(await ask('What are the symptoms of gout?'))).not.toMatch(/can occur with several conditions/);
  });

  it('answers the cause of one named symptom from its own passage, not a differential', async () => {
    const answer = await ask(
      'Hello, I am a 40 year old man. I have had social anxiety since I was a child and I practise meditation every day. ' +
        'For a year I have not slept well. Can you help me find the real cause of my insomnia?',
    );
    const text = body(answer);
    expect(answer.abstained).toBe(false);
    expect(text).not.toMatch(/can occur with several conditions/);
    expect(answer.citations[0]!.title).toMatch(/insomnia/i);
  });

  it('keeps the subject line’s disease as the subject when the message ends in a sign-off ("best Regards")', async () => {
    const answer = await ask(
      'Rheumatoid arthritis. Dear Sir, my wife has suffered from it for two years and was recently diagnosed with it. ' +
        'I need your kind support for treatment and the next steps. Awaiting your kind reply. Thanks and best Regards',
    );
    expect(answer.abstained).toBe(false);
    expect(answer.citations[0]!.title).toMatch(/rheumatoid arthritis/i);
    expect(body(answer)).toMatch(/treat|medicine|medication|therap/i);
  });

  it('answers several questions of one message in turn', async () => {
    const answer = await ask('What causes gout and how is it treated?');
    expect(answer.abstained).toBe(false);
    const paragraphs = body(answer).split('\n\n');
    expect(paragraphs.length).toBeGreaterThanOrEqual(2);
    expect(paragraphs.join(' ')).toMatch(/uric acid/);
    expect(paragraphs.join(' ')).toMatch(/NSAIDs|colchicine|corticosteroids/);
    expectCitationsByFirstUse(answer);
  });

  it('leaves no "[n].)" or other bracket artefacts', async () => {
    for (const q of [
      'What are the symptoms of gout?',
      'How is glaucoma diagnosed?',
      'What causes high blood pressure?',
      'What is asthma?',
    ]) {
      const answer = await ask(q);
      expect(answer.answer).not.toMatch(/\]\s*[.)]\)|\)\s*\[\d+\]\)|\[\d+\]\s*\)/);
      expectCitationsByFirstUse(answer);
    }
  });
});

describe('streaming extractive answers', () => {
  /** Reads a response body, returning each network read's text. */
  async function reads(res: Response): Promise<string[]> {
    const out: string[] = [];
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      out.push(decoder.decode(value, { stream: true }));
    }
    return out;
  }

  it('streams /v1/chat sentence by sentence: several reads carry text before the one that ends it', async () => {
    const res = await fetch(`${server.url}/v1/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'What are the symptoms of gout?' }], stream: true }),
    });
    const chunks = await reads(res);
    const events = parseSse(chunks.join(''));
    const deltas = events.filter((e) => e.event === 'delta').map((e) => (JSON.parse(e.data) as { text: string }).text);
    expect(deltas.length).toBeGreaterThanOrEqual(4);
    expect(deltas[0]).toMatch(/^Gout is a form of arthritis/);
    const end = chunks.findIndex((c) => c.includes('event: done'));
    expect(chunks.slice(0, end).filter((c) => c.includes('event: delta')).length).toBeGreaterThanOrEqual(2);
  });

  it('streams /v1/chat/completions in several content chunks before the last', async () => {
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'galen', messages: [{ role: 'user', content: 'What are the symptoms of gout?' }], stream: true }),
    });
    const chunks = await reads(res);
    const contents = parseSse(chunks.join(''))
      .filter((e) => e.data !== '[DONE]')
      .map((e) => (JSON.parse(e.data) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? '')
      .filter(Boolean);
    expect(contents.length).toBeGreaterThanOrEqual(4);
    const end = chunks.findIndex((c) => c.includes('[DONE]'));
    expect(chunks.slice(0, end).filter((c) => c.includes('"content"')).length).toBeGreaterThanOrEqual(2);
  });
});
