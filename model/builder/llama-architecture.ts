import { ModelBuildError } from './errors.js';

/** The dimensions and constants of a LLaMA-family decoder: all the graph writer needs. */
export interface LlamaArchitecture {
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numAttentionHeads: number;
  /** Grouped-query attention: key/value heads (divides `numAttentionHeads`). */
  numKeyValueHeads: number;
  headDim: number;
  vocabSize: number;
  maxPositionEmbeddings: number;
  ropeTheta: number;
  rmsNormEps: number;
  /** `lm_head` shares `embed_tokens`' matrix. */
  tieWordEmbeddings: boolean;
  bosTokenId: number | undefined;
  eosTokenId: number | number[] | undefined;
}

/** `model_type`s whose decoder is the LLaMA block (RMSNorm, RoPE, SwiGLU, GQA). */
const LLAMA_FAMILY = new Set(['llama', 'mistral']);

/**
 * Reads a Hugging Face `config.json` of a LLaMA-family model (`text_config` of wrappers merged
 * in). Refuses what the builder cannot express exactly: other architectures, RoPE scaling,
 * sliding windows, activations other than SiLU. `file` names the config in errors.
 *
 * @example
 * parseLlamaArchitecture(JSON.parse(readFileSync('config.json', 'utf8'))).numKeyValueHeads; // 4
 */
export function parseLlamaArchitecture(raw: Record<string, unknown>, file = 'config.json'): LlamaArchitecture {
  const c = isObject(raw['text_config']) ? { ...raw, ...raw['text_config'] } : raw;
  const fail = (what: string, code: 'INVALID_CHECKPOINT' | 'UNSUPPORTED' = 'INVALID_CHECKPOINT'): never => {
    throw new ModelBuildError(code, `${file}: ${what}`);
  };
  const int = (key: string, fallback?: number): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) fail(`${key} must be a positive integer (got ${JSON.stringify(v)})`);
    return v as number;
  };
  const num = (key: string, fallback: number): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(`${key} must be a positive number (got ${JSON.stringify(v)})`);
    return v as number;
  };
  const modelType = c['model_type'];
  if (typeof modelType === 'string' && !LLAMA_FAMILY.has(modelType)) {
    fail(`model_type ${modelType} is not a LLaMA-family decoder (${[...LLAMA_FAMILY].join(', ')})`, 'UNSUPPORTED');
  }
  if (c['rope_scaling'] !== undefined && c['rope_scaling'] !== null)
    fail(`rope_scaling ${JSON.stringify(c['rope_scaling'])} is not supported`, 'UNSUPPORTED');
  const act = c['hidden_act'] ?? 'silu';
  if (act !== 'silu' && act !== 'swish') fail(`hidden_act ${JSON.stringify(act)} is not supported (silu)`, 'UNSUPPORTED');
  if (c['mlp_bias'] === true || c['attention_bias'] === true) fail('attention_bias / mlp_bias are not supported', 'UNSUPPORTED');
  const sliding = c['sliding_window'];
  if (c['use_sliding_window'] === true || (modelType === 'mistral' && typeof sliding === 'number'))
    fail('sliding-window attention is not supported', 'UNSUPPORTED');

  const hiddenSize = int('hidden_size');
  const numAttentionHeads = int('num_attention_heads');
  const numKeyValueHeads = int('num_key_value_heads', numAttentionHeads);
  if (numAttentionHeads % numKeyValueHeads !== 0)
    fail(`num_attention_heads ${numAttentionHeads} is not a multiple of num_key_value_heads ${numKeyValueHeads}`);
  const headDim = int('head_dim', hiddenSize / numAttentionHeads);
  if (headDim % 2 !== 0) fail(`head_dim ${headDim} must be even (rotary embedding)`);
  const eos = c['eos_token_id'];
  return {
    hiddenSize,
    intermediateSize: int('intermediate_size'),
    numLayers: int('num_hidden_layers'),
    numAttentionHeads,
    numKeyValueHeads,
    headDim,
    vocabSize: int('vocab_size'),
    maxPositionEmbeddings: int('max_position_embeddings', 2048),
    ropeTheta: num('rope_theta', 10000),
    rmsNormEps: num('rms_norm_eps', 1e-6),
    tieWordEmbeddings: c['tie_word_embeddings'] === true,
    bosTokenId: typeof c['bos_token_id'] === 'number' ? c['bos_token_id'] : undefined,
    eosTokenId:
      typeof eos === 'number' || (Array.isArray(eos) && eos.every((x) => typeof x === 'number')) ? (eos as number | number[]) : undefined,
  };
}

/**
 * The `config.json` the generator (and transformers.js) reads for a built model.
 *
 * @example
 * writeFileSync('out/config.json', JSON.stringify(toHuggingFaceConfig(arch), null, 2));
 */
export function toHuggingFaceConfig(arch: LlamaArchitecture, base: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...base,
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: arch.hiddenSize,
    intermediate_size: arch.intermediateSize,
    num_hidden_layers: arch.numLayers,
    num_attention_heads: arch.numAttentionHeads,
    num_key_value_heads: arch.numKeyValueHeads,
    head_dim: arch.headDim,
    vocab_size: arch.vocabSize,
    max_position_embeddings: arch.maxPositionEmbeddings,
    rms_norm_eps: arch.rmsNormEps,
    rope_theta: arch.ropeTheta,
    hidden_act: 'silu',
    attention_bias: false,
    tie_word_embeddings: arch.tieWordEmbeddings,
    ...(arch.bosTokenId !== undefined ? { bos_token_id: arch.bosTokenId } : {}),
    ...(arch.eosTokenId !== undefined ? { eos_token_id: arch.eosTokenId } : {}),
    use_cache: true,
  };
}

/**
 * Every weight a LLaMA checkpoint holds, in Hugging Face names, with its shape.
 *
 * @example
 * llamaWeightShapes(arch).get('model.layers.0.self_attn.k_proj.weight'); // [kvHeads * headDim, hidden]
 */
export function llamaWeightShapes(arch: LlamaArchitecture): Map<string, number[]> {
  const { hiddenSize: h, intermediateSize: m, headDim: d, numAttentionHeads: nq, numKeyValueHeads: nkv } = arch;
  const shapes = new Map<string, number[]>([['model.embed_tokens.weight', [arch.vocabSize, h]]]);
  for (let i = 0; i < arch.numLayers; i++) {
    const p = `model.layers.${i}`;
    shapes.set(`${p}.input_layernorm.weight`, [h]);
    shapes.set(`${p}.self_attn.q_proj.weight`, [nq * d, h]);
    shapes.set(`${p}.self_attn.k_proj.weight`, [nkv * d, h]);
    shapes.set(`${p}.self_attn.v_proj.weight`, [nkv * d, h]);
    shapes.set(`${p}.self_attn.o_proj.weight`, [h, nq * d]);
    shapes.set(`${p}.post_attention_layernorm.weight`, [h]);
    shapes.set(`${p}.mlp.gate_proj.weight`, [m, h]);
    shapes.set(`${p}.mlp.up_proj.weight`, [m, h]);
    shapes.set(`${p}.mlp.down_proj.weight`, [h, m]);
  }
  shapes.set('model.norm.weight', [h]);
  if (!arch.tieWordEmbeddings) shapes.set('lm_head.weight', [arch.vocabSize, h]);
  return shapes;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
