/**
 * Regenerates the shipped development sets:
 *
 *   node --import tsx retrieval/evaluation/build-dev-sets.ts [sharedDataDir] [outDir]
 *
 * (defaults `../shared/data` and `retrieval/evaluation/sets`). Writes `pubmedqa-dev.jsonl` from
 * PubMedQA's `pqal_dev.json` and `medquad-paraphrase-dev.jsonl` from MedQuAD, ingested into a
 * temporary store. Deterministic: the same data gives byte-identical files.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ingest, KnowledgeStore } from '../../knowledge/index.js';
import { medquadParaphraseQuestions, pubmedqaDevQuestions } from './dev-sets.js';
import { formatEvalSet } from './eval-set.js';

const shared = resolve(process.argv[2] ?? join('..', 'shared', 'data'));
const out = resolve(process.argv[3] ?? join('retrieval', 'evaluation', 'sets'));
const pubmed = await pubmedqaDevQuestions(join(shared, 'pubmedqa', 'pqal_dev.json'));
writeFileSync(join(out, 'pubmedqa-dev.jsonl'), formatEvalSet(pubmed));
process.stderr.write(`pubmedqa-dev.jsonl: ${pubmed.length} questions\n`);

const dir = mkdtempSync(join(tmpdir(), 'galen-dev-sets-'));
const store = KnowledgeStore.open({ dataDir: dir });
try {
  await ingest(store, { source: 'medquad', paths: [join(shared, 'medquad')] });
  const medquad = medquadParaphraseQuestions(store, { count: 500 });
  writeFileSync(join(out, 'medquad-paraphrase-dev.jsonl'), formatEvalSet(medquad));
  process.stderr.write(`medquad-paraphrase-dev.jsonl: ${medquad.length} questions\n`);
} finally {
  store.close();
  rmSync(dir, { recursive: true, force: true });
}
