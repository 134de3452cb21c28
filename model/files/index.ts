/** Crash-safe file writing shared by the model files and the indexes beside the store. Imports nothing from the rest of Galen. */
export { temporaryName, writeFileAtomic } from './write-file-atomic.js';
