export { assembleGalen, WIKIPEDIA_CACHE_FILE, type AssemblyOptions, type Galen, type LineLog } from './assemble-galen.js';
