/**
 * Regenerates the shipped development sets:
 *
 *   node --import tsx retrieval/evaluation/build-dev-sets.ts [--only pubmedqa,medquad,consumer] [sharedDataDir] [outDir]
 *
 * (defaults: all sets, `../shared/data` and `retrieval/evaluation/sets`). Writes
 * `pubmedqa-dev.jsonl` from PubMedQA's `pqal_dev.json`, `medquad-paraphrase-dev.jsonl` from MedQuAD
 * ingested into a temporary store, and the consumer sets `liveqa-consumer.jsonl` and
 * `chiqa-judged.jsonl` from `consumer-qa/` matched against the seed corpus (the passages Galen
 * serves by default). Deterministic: the same data gives byte-identical files.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ingest, KnowledgeStore, seedStore } from '../../knowledge/index.js';
import { readJudgedAnswers, readLiveQa } from './consumer-qa-files.js';
import { judgedAnswerQuestions, liveQaQuestions, sourcePassages } from './consumer-qa-sets.js';
import { medquadParaphraseQuestions, pubmedqaDevQuestions } from './dev-sets.js';
import { type EvalQuestion, formatEvalSet } from './eval-set.js';

const args = process.argv.slice(2);
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? new Set(args.splice(onlyAt, 2)[1]?.split(',')) : undefined;
const wanted = (name: string) => !only || only.has(name);
const shared = resolve(args[0] ?? join('..', 'shared', 'data'));
const out = resolve(args[1] ?? join('retrieval', 'evaluation', 'sets'));

function write(file: string, questions: EvalQuestion[]): void {
  writeFileSync(join(out, file), formatEvalSet(questions));
  const dev = questions.filter((q) => q.split === 'dev').length;
  process.stderr.write(`${file}: ${questions.length} questions${dev ? ` (${dev} dev, ${questions.length - dev} heldout)` : ''}\n`);
}

async function withTemporaryStore(fill: (store: KnowledgeStore) => Promise<unknown>, use: (store: KnowledgeStore) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'galen-dev-sets-'));
  const store = KnowledgeStore.open({ dataDir: dir });
  try {
    await fill(store);
    use(store);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (wanted('pubmedqa')) write('pubmedqa-dev.jsonl', await pubmedqaDevQuestions(join(shared, 'pubmedqa', 'pqal_dev.json')));

if (wanted('medquad'))
  await withTemporaryStore(
    (store) => ingest(store, { source: 'medquad', paths: [join(shared, 'medquad')] }),
    (store) => write('medquad-paraphrase-dev.jsonl', medquadParaphraseQuestions(store, { count: 500 })),
  );

if (wanted('consumer')) {
  const qa = join(shared, 'consumer-qa');
  const liveqa = [
    ...(await readLiveQa(join(qa, 'liveqa-medical-train-1.xml'), 'liveqa1')),
    ...(await readLiveQa(join(qa, 'liveqa-medical-train-2.xml'), 'liveqa2')),
  ];
  const judged = [
    ...(await readJudgedAnswers(join(qa, 'qa-judged-alexa-mediqa2019.xml'), 'chiqa-alexa')),
    ...(await readJudgedAnswers(join(qa, 'qa-judged-validation-mediqa2019.xml'), 'chiqa-validation')),
  ];
  await withTemporaryStore(
    (store) => seedStore(store),
    (store) => {
      const passages = sourcePassages(store);
      write('liveqa-consumer.jsonl', liveQaQuestions(liveqa, passages));
      write('chiqa-judged.jsonl', judgedAnswerQuestions(judged, passages));
    },
  );
}
