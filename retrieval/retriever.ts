/** Options every retriever takes for one question. */
export interface RetrieveOptions {
  /** Most passages to return. Each retriever documents its default. */
  k?: number;
  /** Aborting it ends the retrieval early with what is done (a retriever never throws for it). */
  signal?: AbortSignal;
}

/**
 * A source of evidence passages for a question (local corpus, vector index, live Wikipedia).
 * `R` is the retriever's own result shape; fusion reads its passages.
 */
export interface Retriever<R> {
  retrieve(question: string, options?: RetrieveOptions): Promise<R>;
}
