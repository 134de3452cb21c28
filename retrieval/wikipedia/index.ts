/**
 * Live Wikipedia (or any MediaWiki) as a retriever, with a time budget, a circuit breaker and a
 * SQLite cache: the wiki being down, slow or garbled costs an answer only its passages.
 */
export {
  WikipediaRetriever,
  DEFAULT_WIKIPEDIA_API,
  type WikipediaRetrieverOptions,
  type RetrievalLogger,
} from './wikipedia-retriever.js';
export {
  WIKIPEDIA_LICENSE,
  WIKIPEDIA_ATTRIBUTION,
  type WikipediaPassage,
  type WikipediaResult,
  type WikipediaStatus,
} from './passage.js';
export { WikipediaError, type WikipediaErrorCode } from './errors.js';
export { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './circuit-breaker.js';
export { ResponseCache, type ResponseCacheOptions } from './response-cache.js';
export { MediaWikiClient, type Article, type ContentMode, type SearchHit } from './mediawiki-client.js';
export { toSearchQuery, wikipediaSearchQuery, type SearchQuery, type SearchTerms } from './search-query.js';
export { MedicalVocabulary, QUESTION_TYPE_WORDS } from './medical-vocabulary.js';
export { splitArticle, sectionAnchor, type ArticleSection } from './article-sections.js';
export { wikitextToPlain } from './wikitext.js';
export type { Retriever, RetrieveOptions } from '../retriever.js';
