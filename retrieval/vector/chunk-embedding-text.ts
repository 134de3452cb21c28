import type { Chunk } from '../../knowledge/index.js';

/**
 * The text a chunk's vector is made from: its document title, section heading, question (MedQuAD
 * pairs) and body, one per line, empty parts left out. The title and question say what the body is
 * about even when the body never names it (a MedQuAD answer "These resources address the diagnosis
 * or management of …" only makes sense with its title).
 *
 * @example
 * chunkEmbeddingText({ title: 'Gout', section: '', question: 'What causes gout?', text: 'Uric acid …' } as Chunk)
 * // → 'Gout\nWhat causes gout?\nUric acid …'
 */
export function chunkEmbeddingText(chunk: Pick<Chunk, 'title' | 'section' | 'question' | 'text'>): string {
  return [chunk.title, chunk.section, chunk.question, chunk.text].filter((part) => part.length > 0).join('\n');
}
