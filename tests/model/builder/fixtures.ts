import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadLanguageModel, SafetensorsFile, writeSafetensors, type FloatFormat, type SafetensorsTensor } from '../../../model/index.js';
import { STORIES } from '../fixtures.js';

export { STORIES };
export const STORIES_SAFETENSORS = join(STORIES, 'model.safetensors');
export const STORIES_LLAMA2C = join(STORIES, 'llama2c', 'stories260K.bin');
export const STORIES_LORA = join(STORIES, 'lora-test');

interface ReferenceCase {
  prompt_ids: number[];
  base_greedy: number[];
  lora_greedy: number[];
}

/** reference.json: greedy ids of a numpy forward pass, with and without the adapter. */
export const REFERENCE = JSON.parse(readFileSync(join(STORIES, 'reference.json'), 'utf8')) as { bos: ReferenceCase; lily: ReferenceCase };
export const CASES = ['bos', 'lily'] as const;

/** Every tensor of a safetensors file, as float32. */
export function readAllTensors(path: string): SafetensorsTensor[] {
  const file = SafetensorsFile.open(path);
  try {
    return [...file.entries.values()].map((e) => ({ name: e.name, shape: [...e.shape], data: file.readFloat32(e.name) }));
  } finally {
    file.close();
  }
}

/** The stories260k config.json with `changes` applied. */
export function storiesConfig(changes: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...(JSON.parse(readFileSync(join(STORIES, 'config.json'), 'utf8')) as Record<string, unknown>), ...changes };
}

/**
 * Writes a Hugging Face checkpoint folder: config.json, the stories tokenizer files, and the
 * tensors in one file or `shards` files with a `model.safetensors.index.json`.
 */
export function writeCheckpoint(
  dir: string,
  tensors: readonly SafetensorsTensor[],
  options: { config?: Record<string, unknown>; format?: FloatFormat; shards?: number } = {},
): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(options.config ?? storiesConfig()));
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json']) copyFileSync(join(STORIES, f), join(dir, f));
  const shards = options.shards ?? 1;
  if (shards === 1) {
    writeSafetensors(join(dir, 'model.safetensors'), tensors, options.format);
    return dir;
  }
  const weightMap: Record<string, string> = {};
  const per = Math.ceil(tensors.length / shards);
  for (let s = 0; s < shards; s++) {
    const name = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const part = tensors.slice(s * per, (s + 1) * per);
    writeSafetensors(join(dir, name), part, options.format);
    for (const t of part) weightMap[t.name] = name;
  }
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  return dir;
}

/** Writes a PEFT adapter folder. */
export function writeAdapter(dir: string, tensors: readonly SafetensorsTensor[], config: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ peft_type: 'LORA', task_type: 'CAUSAL_LM', ...config }));
  writeSafetensors(join(dir, 'adapter_model.safetensors'), tensors);
  return dir;
}

/** The stories LoRA adapter's config. */
export function storiesLoraConfig(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(STORIES_LORA, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
}

/** Greedy continuation ids of a model directory for each reference prompt. */
export async function greedy(dir: string, tokens = 48): Promise<Record<(typeof CASES)[number], number[]>> {
  const model = await loadLanguageModel(dir);
  try {
    const out = {} as Record<(typeof CASES)[number], number[]>;
    for (const c of CASES)
      out[c] = (await model.generate({ tokenIds: REFERENCE[c].prompt_ids }, { maxNewTokens: tokens, temperature: 0 })).tokens;
    return out;
  } finally {
    await model.close();
  }
}
