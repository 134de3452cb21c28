import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { PACKAGE_ROOT } from '../../knowledge/index.js';
import { CONSUMER_SETS, EvaluationError, loadEvalSet } from '../../retrieval/evaluation/index.js';
import { MAX_HITS, RetrievalPipeline } from '../../retrieval/pipeline/index.js';
import {
  DEFAULT_RANK_CANDIDATES,
  ENTAILMENT_MODEL_FILE,
  entailmentAccuracy,
  LearnedRanker,
  QuestionEntailment,
  RANKER_MODEL_FILE,
  type RankerExample,
  readRqePairs,
  trainEntailment,
  trainRanker,
  untrainedRankerModel,
} from '../../retrieval/ranking/index.js';
import { configFrom, output, UsageError, withStore, type GlobalOptions } from './cli-context.js';
import { openCliVectors, syncWithProgress, type CliVectors } from './index-command.js';

/**
 * `galen eval train-entailment` and `galen eval train-ranker`: retrain the shipped models (the files
 * beside `retrieval/ranking/`), reporting what they measure.
 */
export function registerTrainCommands(evaluate: Command, globals: () => GlobalOptions): void {
  evaluate
    .command('train-entailment')
    .description('Train the question-entailment model on the AMIA 2016 RQE pairs; report accuracy on the validation and test pairs')
    .option('--from <dir>', 'the consumer-qa folder', join(PACKAGE_ROOT, '..', 'shared', 'data', 'consumer-qa'))
    .option('--out <file>', 'where the model is written', ENTAILMENT_MODEL_FILE)
    .action(async (flags: { from: string; out: string }) => {
      const g = globals();
      const [train, validation, test] = await Promise.all(
        ['rqe-train-amia2016.xml', 'rqe-validation-amia2016.xml', 'rqe-test-mediqa2019.xml'].map((f) =>
          readRqePairs(join(flags.from, f)).catch((error: Error) => {
            throw new UsageError(`cannot read ${join(flags.from, f)}: ${error.message}`);
          }),
        ),
      );
      const model = trainEntailment(train!);
      const rqe = new QuestionEntailment(model);
      const accuracy = {
        train: round(entailmentAccuracy(rqe, train!)),
        validation: round(entailmentAccuracy(rqe, validation!)),
        test: round(entailmentAccuracy(rqe, test!)),
      };
      writeFileSync(flags.out, `${JSON.stringify({ ...model, accuracy })}\n`);
      output(g, { out: flags.out, pairs: { train: train!.length, validation: validation!.length, test: test!.length }, accuracy }, () =>
        [
          `entailment model written to ${flags.out}`,
          `accuracy: train ${accuracy.train} (${train!.length} pairs), validation ${accuracy.validation} (${validation!.length}), test ${accuracy.test} (${test!.length})`,
        ].join('\n'),
      );
    });

  evaluate
    .command('train-ranker')
    .description('Train the passage ranker on the dev split of the consumer sets (corpus + vector candidates of the store)')
    .option(
      '--set <file...>',
      'graded JSONL sets with dev/heldout splits (default: the shipped consumer sets); only dev questions are used',
    )
    .option('--entailment <file>', 'the entailment model', ENTAILMENT_MODEL_FILE)
    .option('--out <file>', 'where the model is written', RANKER_MODEL_FILE)
    .action(async (flags: { set?: string[]; entailment: string; out: string }) => {
      const g = globals();
      const config = configFrom(g);
      let sets;
      try {
        sets = await Promise.all((flags.set ?? CONSUMER_SETS).map((file) => loadEvalSet(file)));
      } catch (error) {
        if (error instanceof EvaluationError) throw new UsageError(error.message);
        throw error;
      }
      const questions = sets.flatMap((s) => s.questions.filter((q) => q.split === 'dev'));
      if (!questions.length) throw new UsageError('the sets hold no dev questions');
      await withStore(config, async (store) => {
        let opened: CliVectors | undefined;
        try {
          if (config.vectors.enabled) {
            opened = await openCliVectors(config, store, config.vectors);
            await syncWithProgress(opened.vectors, Boolean(g.json));
          }
          const vector = opened ? { vector: opened.vectors.searcher } : {};
          const pipeline = new RetrievalPipeline(
            { store, ...vector },
            { vectorWeight: config.vectors.weight, candidates: DEFAULT_RANK_CANDIDATES, subjectCandidates: true },
          );
          const featurizer = new LearnedRanker(store, untrainedRankerModel(), QuestionEntailment.load(flags.entailment));
          const examples: RankerExample[] = [];
          for (const q of questions) {
            const result = await pipeline.retrieve(q.question, {
              k: MAX_HITS,
              sources: opened ? ['corpus', 'vector'] : ['corpus'],
            });
            const relevant = new Set(q.relevant);
            examples.push({
              features: featurizer.features(result.analysis, result.hits),
              grades: result.hits.map((h) => q.grades?.[h.externalId] ?? (relevant.has(h.externalId) ? 4 : 1)),
            });
          }
          const model = trainRanker(examples);
          writeFileSync(flags.out, `${JSON.stringify(model, null, 1)}\n`);
          const weights = Object.fromEntries(model.logistic.features.map((f, i) => [f, model.logistic.weights[i]!]));
          output(g, { out: flags.out, questions: questions.length, trainedOn: model.trainedOn, weights }, () =>
            [
              `ranker model written to ${flags.out} (${model.trainedOn?.questions} of ${questions.length} dev questions, ${model.trainedOn?.candidates} candidates)`,
              ...Object.entries(weights).map(([f, w]) => `  ${f.padEnd(28)} ${w.toFixed(4)}`),
            ].join('\n'),
          );
        } finally {
          await opened?.close();
        }
      });
    });
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
