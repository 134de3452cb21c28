import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { galenAsync } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/paths.js';
import { MINI_CORPUS } from '../chat-server.js';

const tmp = tempDir('galen-eval-answers-');
afterAll(() => tmp.cleanup());
const offline = { GALEN_WIKIPEDIA: 'false', GALEN_SEED: 'false', GALEN_VECTORS: 'false' };

describe('galen eval answers', () => {
  it('reports citing, abstaining and abstention precision/recall on answerable and unanswerable sets', async () => {
    const data = join(tmp.dir, 'data');
    const ingest = await galenAsync(
      [
        'ingest',
        MINI_CORPUS,
        '--source',
        'mini',
        '--format',
        'jsonl',
        '--license',
        'CC BY 4.0',
        '--attribution',
        'test',
        '--data',
        data,
        '--create',
      ],
      offline,
    );
    expect(ingest.status).toBe(0);
    const answerable = join(tmp.dir, 'answerable.jsonl');
    writeFileSync(
      answerable,
      [
        { id: 'gout-symptoms', question: 'What are the symptoms of gout?', relevant: ['GOUT_1_Sec2'], split: 'heldout' },
        { id: 'gout-treatment', question: 'How is gout treated?', relevant: ['HBP_1_Sec1'], split: 'heldout' },
        { id: 'gout-dev', question: 'What is gout?', relevant: ['GOUT_1_Sec1'], split: 'dev' },
      ]
        .map((q) => JSON.stringify(q))
        .join('\n'),
    );
    const unanswerable = join(tmp.dir, 'unanswerable.jsonl');
    writeFileSync(
      unanswerable,
      [
        { id: 'tyre', question: 'How do I fix a flat bicycle tyre?' },
        { id: 'zh-tax', question: '个人所得税怎么申报？' },
      ]
        .map((q) => JSON.stringify(q))
        .join('\n'),
    );
    const r = await galenAsync(['--json', 'eval', 'answers', '--set', answerable, unanswerable, '--data', data], offline);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as {
      sets: Array<{
        set: string;
        split?: string;
        answerable: { questions: number; citesRelevant: number; citesOnlyWrong: number; abstained: number };
        unanswerable: { questions: number; abstained: number };
      }>;
      abstention: { precision: number; recall: number };
    };
    const [a, u] = report.sets;
    // The heldout split only: the dev question is left out.
    expect(a).toMatchObject({ set: 'answerable', split: 'heldout', answerable: { questions: 2, abstained: 0 } });
    // The symptoms answer cites GOUT_1_Sec2 (relevant); the treatment one cites gout's passages, and only a blood-pressure one is listed as relevant (wrong on purpose).
    expect(a!.answerable.citesRelevant).toBe(0.5);
    expect(a!.answerable.citesOnlyWrong).toBe(0.5);
    expect(u).toMatchObject({ set: 'unanswerable', unanswerable: { questions: 2, abstained: 1 } });
    expect(report.abstention).toEqual({ precision: 1, recall: 1, answerableAbstained: 0, unanswerableAbstained: 1 });
  }, 120_000);

  it('refuses a bad --split with a usage error', async () => {
    const r = await galenAsync(['eval', 'answers', '--split', 'test', '--data', join(tmp.dir, 'data')], offline);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--split must be dev, heldout or all/);
  });
});
