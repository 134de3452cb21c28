/** Crash-safe file writing shared by the model files and the indexes beside the store, and the GGUF container (llama.cpp's model file). Imports nothing from the rest of Galen. */
export { temporaryName, writeFileAtomic } from './write-file-atomic.js';
export {
  GgmlType,
  GgufValueType,
  ggmlByteLength,
  readGgufHeader,
  writeGgufFile,
  type GgufHeader,
  type GgufTensorInfo,
  type GgufTensorSlot,
  type GgufValue,
} from './gguf-file.js';
