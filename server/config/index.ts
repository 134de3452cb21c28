export { ConfigSchema, ENV_KEYS, type GalenConfig } from './config-schema.js';
export { ConfigError, loadConfig, type LoadConfigOptions } from './load-config.js';
