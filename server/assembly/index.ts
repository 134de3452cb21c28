export { assembleGalen, type AssemblyOptions, type Galen, type LineLog } from './assemble-galen.js';
