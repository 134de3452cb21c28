import type { EvidenceSource } from '../../retrieval/pipeline/index.js';
import { AnswerError } from './errors.js';

/**
 * The names in `requested` that are not among the `available` retrievers, in request order;
 * empty when every one is known or none was requested.
 *
 * @example
 * unknownSources(['corpus', 'pubmed'], ['corpus', 'vector']); // ['pubmed']
 */
export function unknownSources(requested: readonly string[] | undefined, available: readonly EvidenceSource[]): string[] {
  return (requested ?? []).filter((s) => !available.includes(s as EvidenceSource));
}

/**
 * The requested retrievers, when this server has every one (`undefined`, meaning all, when none
 * was requested); otherwise an `UNKNOWN_SOURCE` {@link AnswerError} naming the unknown ones and
 * those the server has.
 *
 * @example
 * knownSources(['corpus'], ['corpus', 'vector']); // ['corpus']
 * knownSources(undefined, ['corpus']); // undefined
 * knownSources(['pubmed'], ['corpus']); // throws AnswerError UNKNOWN_SOURCE
 */
export function knownSources(
  requested: readonly string[] | undefined,
  available: readonly EvidenceSource[],
): readonly EvidenceSource[] | undefined {
  const unknown = unknownSources(requested, available);
  if (unknown.length) {
    throw new AnswerError(
      'UNKNOWN_SOURCE',
      `Unknown or unavailable source ${unknown.join(', ')}; this server has ${available.join(', ')}.`,
    );
  }
  return requested as readonly EvidenceSource[] | undefined;
}
