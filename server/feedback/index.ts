/** Readers' feedback on answers (thumbs up/down and a note), kept in the data directory. */
export { FEEDBACK_FILE, FeedbackLog, type Feedback, type FeedbackLogOptions, type FeedbackRecord } from './feedback-log.js';
