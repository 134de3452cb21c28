/** The chat page: HTML, CSS and script (embedded so they ship with the compiled server) and the vendored libraries it loads. */
export { CHAT_PAGE_HTML } from './chat-page.js';
export { CHAT_PAGE_JS } from './chat-script.js';
export { CHAT_PAGE_CSS } from './chat-style.js';
export { vendorScripts, type VendorScript } from './vendor-scripts.js';
