/**
 * The model builder: LLaMA checkpoints (Hugging Face safetensors, llama2c `.bin`, or random
 * weights of a real shape) with PEFT LoRA adapters merged, written as ONNX model directories the
 * generator loads; and a content-addressed cache of merged builds for the server.
 */
export {
  buildModel,
  openCheckpoint,
  BUILDER_VERSION,
  type BuildModelOptions,
  type BuildProgress,
  type BuildReport,
} from './build-model.js';
export { ModelBuildError, type ModelBuildErrorCode } from './errors.js';
export type { Checkpoint } from './checkpoint.js';
export { parseLlamaArchitecture, llamaWeightShapes, type LlamaArchitecture } from './llama-architecture.js';
export { MODEL_SHAPES, resolveModelShape } from './model-shapes.js';
export { SafetensorsFile, writeSafetensors, type SafetensorsEntry, type SafetensorsTensor } from './safetensors-file.js';
export { openLoraAdapter, validateLoraAdapter, type LoraAdapter, type LoraConfig, type LoraModule } from './lora-adapter.js';
export type { GraphDtype, GraphLayout } from './llama-graph.js';
export { decodeFloats, encodeFloats, type FloatFormat } from './float-formats.js';
export { quantizeMatrix, type QuantizedMatrix, type WeightQuantization } from './weight-quantizer.js';
export { ensureMergedModel, type EnsureMergedModelOptions, type MergedModel } from './merged-model-cache.js';
export { exportGguf, permuteRotaryRows, type GgufExportOptions, type GgufFormat } from './gguf-export.js';
export { dequantizeGgml, quantizeQ4_0, quantizeQ8_0, GGML_BLOCK } from './ggml-quantizer.js';
