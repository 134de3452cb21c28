/**
 * The chat page served at `GET /`: plain HTML (no framework, no build step), embedded so it ships
 * inside `dist/` with the compiled server. Its script (`chat-script.ts`) and style
 * (`chat-style.ts`) are separate files, as are the vendored markdown renderer and sanitiser,
 * so a strict Content-Security-Policy (`script-src 'self'`) allows them.
 */

/** `GET /`. */
export const CHAT_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="color-scheme" content="light dark">
<title>Galen — medical questions, answered with sources</title>
<link rel="stylesheet" href="/web/app.css">
<script src="/web/vendor/marked.js" defer></script>
<script src="/web/vendor/purify.js" defer></script>
<script src="/web/app.js" defer></script>
</head>
<body>
<nav id="history" class="history" aria-label="Past conversations" hidden>
  <div class="history-head">
    <h2>History</h2>
    <button type="button" id="close-history" class="icon" aria-label="Close history">✕</button>
  </div>
  <p class="note">Kept only in this browser; never sent anywhere.</p>
  <ul id="history-list"></ul>
  <p id="history-empty" class="note">No saved conversations yet.</p>
  <button type="button" id="clear-history" class="quiet">Clear history</button>
</nav>
<div class="shell">
  <header class="top">
    <button type="button" id="toggle-history" class="quiet" aria-expanded="false" aria-controls="history">History</button>
    <h1>Galen</h1>
    <button type="button" id="new-chat" class="quiet">New chat</button>
  </header>
  <main>
    <section id="thread" class="thread" aria-label="Conversation" tabindex="0">
      <div id="welcome" class="welcome">
        <p class="tagline">Medical questions, answered from cited sources. <strong>Galen is not a doctor.</strong></p>
        <p>Try:</p>
        <ul class="examples">
          <li><button type="button" class="example">What are the symptoms of gout?</button></li>
          <li><button type="button" class="example">How is high blood pressure treated?</button></li>
          <li><button type="button" class="example" lang="zh">痛风有什么症状？</button></li>
        </ul>
      </div>
      <div id="conversation"></div>
    </section>
    <form id="ask" class="composer">
      <div class="input-row">
        <label for="question" class="visually-hidden">Your question</label>
        <textarea id="question" name="question" rows="2" maxlength="10000" placeholder="Ask a medical question" required></textarea>
        <button type="submit" id="send" class="primary">Ask</button>
        <button type="button" id="stop" class="primary" hidden>Stop</button>
      </div>
      <div class="composer-foot">
        <p id="disclaimer">General information from cited sources, not a diagnosis or treatment advice. In an emergency call your local emergency number.</p>
        <details id="key-box" class="key">
          <summary>API key</summary>
          <div class="key-fields">
            <label for="api-key">API key (only if this server requires one)</label>
            <input id="api-key" type="password" autocomplete="off" spellcheck="false">
            <label class="check"><input id="remember-key" type="checkbox"> Remember on this device</label>
          </div>
        </details>
      </div>
    </form>
  </main>
</div>
<div id="status" class="visually-hidden" role="status"></div>
</body>
</html>
`;
