/**
 * A text embedding model: maps texts to fixed-size, L2-normalised float32 vectors, so cosine
 * similarity is a dot product. Shaped like the Vercel AI SDK's embedding models (an `id`, a
 * dimension, a batch `embed`) so an ONNX sentence encoder can replace the built-in LSA embedder
 * behind the same interface.
 *
 * @example
 * const [a, b] = await model.embed(['gout causes', 'what causes gout?']);
 * const cosine = a!.reduce((s, x, i) => s + x * b![i]!, 0);
 */
export interface EmbeddingModel {
  /**
   * Names the model, its version and its fitted state (e.g. `lsa-v1:3f9a…`). Two models with the
   * same id embed every text identically, so a vector index built with one is valid for the
   * other; any other id means the index must be rebuilt.
   */
  readonly id: string;
  /** Length of every vector `embed` returns. */
  readonly dimension: number;
  /**
   * One vector per text, in order. Each has length `dimension` and unit L2 norm, except the
   * all-zero vector for a text the model can say nothing about (empty, or no known term). Never
   * throws for any string content.
   */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}
