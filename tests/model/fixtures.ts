import { cpSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Shared read-only models (`../shared/models` beside the repository). */
export const SHARED_MODELS = resolve(ROOT, '..', 'shared', 'models');
/** Karpathy's stories260K as a Hugging Face LLaMA directory with an ONNX export. */
export const STORIES = join(SHARED_MODELS, 'stories260k');

interface ReferenceCase {
  prompt_ids: number[];
  base_greedy: number[];
}

/** Greedy ids from an independent numpy forward pass (`reference.json`). */
export const REFERENCE = JSON.parse(readFileSync(join(STORIES, 'reference.json'), 'utf8')) as { bos: ReferenceCase; lily: ReferenceCase };

/** Copies stories260k's model files (config, tokenizer, `onnx/`; 1 MB) into `dir`, for tests that alter them; returns `dir`. */
export function copyStoriesInto(dir: string): string {
  for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx'])
    cpSync(join(STORIES, f), join(dir, f), { recursive: true });
  return dir;
}

/** Collects a stream's pieces. */
export async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of stream) out.push(x);
  return out;
}
