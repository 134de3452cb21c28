/** The chat page: HTML, CSS and script, embedded so they ship with the compiled server. */
export { CHAT_PAGE_CSS, CHAT_PAGE_HTML, CHAT_PAGE_JS } from './chat-page.js';
