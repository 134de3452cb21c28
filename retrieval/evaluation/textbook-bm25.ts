import type { KnowledgeStore } from '../../knowledge/index.js';
import { contentTerms } from '../ranking/terms.js';

/** Okapi BM25 parameters of the textbook baseline. */
export const TEXTBOOK_BM25 = { k1: 1.2, b: 0.75 } as const;

/**
 * Plain Okapi BM25 (k1 1.2, b 0.75, one field: title, question and text of each chunk, stopwords
 * dropped, Porter stems) over every chunk of a store, in memory: the baseline `galen eval
 * retrieval` compares Galen's ranking with, over the same passages. No field weights, no synonym
 * expansion, no term budget.
 *
 * @example
 * const bm25 = TextbookBm25.fromStore(store);
 * bm25.search('What are the symptoms of gout?', 10) // → ['GHR_0000419_Sec3', …] (citation ids, best first)
 */
export class TextbookBm25 {
  private constructor(
    private readonly ids: string[],
    private readonly lengths: Float64Array,
    private readonly postings: Map<string, { docs: Int32Array; tfs: Float64Array }>,
    private readonly avgLength: number,
  ) {}

  static fromStore(store: KnowledgeStore): TextbookBm25 {
    const rows = store.db.prepare('SELECT external_id AS id, title, question, text FROM chunks ORDER BY id').all() as Array<{
      id: string;
      title: string;
      question: string;
      text: string;
    }>;
    const ids: string[] = [];
    const lengths = new Float64Array(rows.length);
    const building = new Map<string, { docs: number[]; tfs: number[] }>();
    rows.forEach((row, d) => {
      ids.push(row.id);
      const terms = contentTerms(`${row.title}\n${row.question}\n${row.text}`);
      lengths[d] = terms.length;
      const tf = new Map<string, number>();
      for (const t of terms) tf.set(t, (tf.get(t) ?? 0) + 1);
      for (const [t, n] of tf) {
        const p = building.get(t) ?? { docs: [], tfs: [] };
        p.docs.push(d);
        p.tfs.push(n);
        building.set(t, p);
      }
    });
    const postings = new Map<string, { docs: Int32Array; tfs: Float64Array }>();
    for (const [t, p] of building) postings.set(t, { docs: Int32Array.from(p.docs), tfs: Float64Array.from(p.tfs) });
    const avg = lengths.reduce((s, x) => s + x, 0) / (rows.length || 1);
    return new TextbookBm25(ids, lengths, postings, avg);
  }

  /** The citation ids of the `k` best chunks, best first (ties by store order). */
  search(query: string, k: number): string[] {
    const { k1, b } = TEXTBOOK_BM25;
    const n = this.ids.length;
    const scores = new Map<number, number>();
    for (const term of new Set(contentTerms(query))) {
      const p = this.postings.get(term);
      if (!p) continue;
      const idf = Math.log(1 + (n - p.docs.length + 0.5) / (p.docs.length + 0.5));
      for (let i = 0; i < p.docs.length; i++) {
        const d = p.docs[i]!;
        const tf = p.tfs[i]!;
        const s = (idf * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * this.lengths[d]!) / this.avgLength));
        scores.set(d, (scores.get(d) ?? 0) + s);
      }
    }
    return [...scores]
      .sort((x, y) => y[1] - x[1] || x[0] - y[0])
      .slice(0, k)
      .map(([d]) => this.ids[d]!);
  }
}
