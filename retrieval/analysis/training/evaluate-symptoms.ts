/**
 * hit@5 on symptom messages: the share of ChatDoctor messages (whose doctor's reply names the
 * disease) with a passage about that disease in the top 5, for a textbook BM25 over the same
 * passages and for Galen's pipeline (corpus retriever, learned ranker; `fused`: without the ranker). Seeds `--store` first when it is empty.
 * `npm run eval:symptoms -- --store /tmp/galen-seed [--limit 400]`
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KnowledgeStore, PACKAGE_ROOT, seedStore } from '../../../knowledge/index.js';
import { TextbookBm25 } from '../../evaluation/index.js';
import { RetrievalPipeline } from '../../pipeline/index.js';
import { LearnedRanker } from '../../ranking/index.js';
import { wordKey, words } from '../words.js';
import { type SymptomCase, symptomCases } from './symptom-dev-set.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: join(PACKAGE_ROOT, '..', 'shared', 'data') },
    store: { type: 'string' },
    limit: { type: 'string', default: '400' },
  },
});
if (!values.store) throw new Error('--store <dir> is required');
const store = KnowledgeStore.open({ dataDir: resolve(values.store) });
await seedStore(store);
const cases = symptomCases(resolve(values.data!));
const limit = Number(values.limit);

const key = (s: string) => words(s).map(wordKey).join(' ');
/** Whether a passage is about the disease: its title or focus and the disease name agree (one within the other). */
const about = (title: string, disease: string) => {
  const t = key(title);
  const d = key(disease);
  return t === d || (t.length > 3 && ` ${d} `.includes(` ${t} `)) || ` ${t} `.includes(` ${d} `);
};
const titles = new Map<string, string>();
const titleOf = (externalId: string) => {
  if (!titles.has(externalId)) {
    const c = store.getChunksByExternalId(externalId)[0];
    titles.set(externalId, `${c?.title ?? ''}`);
  }
  return titles.get(externalId)!;
};

const bm25 = TextbookBm25.fromStore(store);
// Galen as it serves (the learned ranker over the corpus candidates), and its fusion without the ranker.
const pipeline = new RetrievalPipeline({ store, ranker: LearnedRanker.load(store) });
const fusedOnly = new RetrievalPipeline({ store });
const report: Record<string, unknown> = {};
for (const split of ['dev', 'heldout'] as const) {
  const set: SymptomCase[] = cases.filter((c) => c.split === split).slice(0, limit);
  let bm = 0;
  let galen = 0;
  let fused = 0;
  let covered = 0;
  const times: number[] = [];
  for (const c of set) {
    if (bm25.search(c.message, 5).some((id) => about(titleOf(id), c.disease))) bm++;
    const t = performance.now();
    const result = await pipeline.retrieve(c.message, { k: 5, sources: ['corpus'] });
    times.push(performance.now() - t);
    if (result.hits.some((h) => about(h.title, c.disease))) galen++;
    if ((await fusedOnly.retrieve(c.message, { k: 5, sources: ['corpus'] })).hits.some((h) => about(h.title, c.disease))) fused++;
    if (result.analysis.candidateConditions?.some((x) => about(x.name, c.disease))) covered++;
  }
  times.sort((a, b) => a - b);
  report[split] = {
    messages: set.length,
    bm25HitAt5: round(bm / set.length),
    galenHitAt5: round(galen / set.length),
    fusedHitAt5: round(fused / set.length),
    diseaseAmongCandidates: round(covered / set.length),
    galenP50Ms: round(times[times.length >> 1] ?? 0),
  };
}
console.log(JSON.stringify({ cases: cases.length, sources: store.listSources().map((s) => s.name), ...report }, null, 1));
store.close();

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
