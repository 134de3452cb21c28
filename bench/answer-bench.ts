import { join } from 'node:path';
import { KnowledgeStore, seedStore } from '../knowledge/index.js';
import { loadLanguageModel } from '../model/index.js';
import { RetrievalPipeline } from '../retrieval/pipeline/index.js';
import { AnswerPipeline, type Answer } from '../server/answer/index.js';
import { ANSWER_SETS, evaluateAnswers, loadAnswerSet } from '../server/eval/index.js';
import { intOption, latencyStats, ROOT, round, tempDir, type BenchModule, type BenchOptions } from './common.js';

/**
 * The answer pipeline on the seed corpus (corpus retrieval only, so no network): extractive answer
 * latency and how often an answer cites the document its question came from (MedQuAD questions,
 * asked as written); then generative answers with the tiny stories260k model (time to first token,
 * tokens/s; its text is nonsense, the numbers are the pipeline's overhead around a generator).
 * `--set questions=N` (default 300, quick 60), `--set generative=N` (default 20, quick 5). Then
 * `galen eval answers`' measures on the heldout consumer sets and the unanswerable list (quick: 20 a set).
 */
export const answerBench: BenchModule = {
  name: 'answer',
  description: 'Answer pipeline: extractive latency and source hit rate on MedQuAD questions; generative overhead with stories260k',
  run: runAnswerBench,
};

async function runAnswerBench(options: BenchOptions): Promise<Record<string, unknown>> {
  const { log } = options;
  const questionCount = intOption(options.overrides.questions, options.quick ? 60 : 300);
  const generativeCount = intOption(options.overrides.generative, options.quick ? 5 : 20);
  const tmp = tempDir('galen-bench-answer-');
  const store = KnowledgeStore.open({ dataDir: join(tmp.dir, 'data') });
  try {
    log('seeding the store with the bundled corpus');
    await seedStore(store);
    // Every k-th answered question of the corpus, with the document it belongs to.
    const rows = store.db
      .prepare(
        "SELECT DISTINCT c.question AS question, d.external_id AS document FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.question <> '' ORDER BY c.id",
      )
      .all() as Array<{ question: string; document: string }>;
    const step = Math.max(1, Math.floor(rows.length / questionCount));
    const questions = rows.filter((_, i) => i % step === 0).slice(0, questionCount);
    const retrieval = new RetrievalPipeline({ store });

    const extractive = new AnswerPipeline({ retrieval, sections: store });
    const samples: number[] = [];
    let cited = 0;
    let ownDocument = 0;
    for (const q of questions) {
      const started = performance.now();
      const answer: Answer = await extractive.answer({ messages: [{ role: 'user', content: q.question }] });
      samples.push(performance.now() - started);
      if (answer.citations.length > 0) cited++;
      if (answer.citations.some((c) => c.externalId.startsWith(`${q.document}_`) || c.externalId === q.document)) ownDocument++;
    }
    log(`extractive: ${questions.length} questions`);

    // `galen eval answers` on the heldout split of the consumer sets and the unanswerable list.
    const answerSets = await Promise.all(ANSWER_SETS.map((file) => loadAnswerSet(file)));
    const evaluation = await evaluateAnswers(new AnswerPipeline({ retrieval, sections: store }), answerSets, {
      sources: ['corpus'],
      split: 'heldout',
      ...(options.quick ? { limit: 20 } : {}),
    });
    log('answer evaluation: heldout consumer sets and the unanswerable list');

    const model = await loadLanguageModel(join(ROOT, '..', 'shared', 'models', 'stories260k'));
    const generative = new AnswerPipeline({ retrieval, model }, { maxNewTokens: 64, temperature: 0 });
    const gen: Array<{ totalMs: number; ttftMs: number; tokens: number; generationMs: number }> = [];
    for (const q of questions.slice(0, generativeCount)) {
      const answer = await generative.answer({ messages: [{ role: 'user', content: q.question }] });
      gen.push({
        totalMs: answer.timings.totalMs,
        ttftMs: answer.timings.timeToFirstTokenMs ?? 0,
        tokens: answer.usage.completionTokens,
        generationMs: answer.timings.generationMs,
      });
    }
    await model.close();
    log(`generative: ${gen.length} questions`);
    // With a 512-token window, a 1,500-character MedQuAD chunk often does not fit beside the prompt:
    // those questions get the no-evidence answer without generating, and are counted apart.
    const generated = gen.filter((g) => g.tokens > 0);
    const tokens = generated.reduce((s, g) => s + g.tokens, 0);
    const generationS = generated.reduce((s, g) => s + g.generationMs, 0) / 1000;
    return {
      evaluation,
      extractive: {
        questions: questions.length,
        latency: latencyStats(samples),
        answersWithCitations: round(cited / questions.length, 3),
        citesOwnDocument: round(ownDocument / questions.length, 3),
      },
      generative: {
        model: 'stories260k',
        questions: gen.length,
        answersGenerated: generated.length,
        totalLatency: latencyStats(generated.map((g) => g.totalMs)),
        timeToFirstToken: latencyStats(generated.map((g) => g.ttftMs)),
        tokensPerSecond: round(tokens / Math.max(generationS, 1e-9), 1),
      },
    };
  } finally {
    store.close();
    tmp.cleanup();
  }
}
