export { GalenError } from './galen-error.js';
