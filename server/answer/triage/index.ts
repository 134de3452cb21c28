export { continuesEarlierTurns, triageConversation } from './conversation-triage.js';
export { triage, type TriageReason, type TriageResult } from './triage.js';
export { RED_FLAG_RULES, type RedFlagCategory, type RedFlagRule, type TriageLevel } from './red-flag-rules.js';
