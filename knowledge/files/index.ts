/** Owner-only files and folders for everything that may hold patient words, keys or the store. Imports nothing from the rest of Galen. */
export {
  createPrivateFile,
  ensurePrivateDir,
  loosePermissions,
  openPrivateAppend,
  PRIVATE_DIR_MODE,
  PRIVATE_FILE_MODE,
  type LoosePath,
} from './private-files.js';
