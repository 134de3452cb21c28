/**
 * The chat page served at `GET /`: plain HTML, CSS and JavaScript (no framework, no build step),
 * embedded here so it ships inside `dist/` with the compiled server. The script streams answers
 * from `POST /v1/chat` (Server-Sent Events), links `[n]` markers to their sources, shows the
 * red-flag banner and the answer mode. Scripts and styles are separate files so a strict
 * Content-Security-Policy (`script-src 'self'`) allows them.
 */

/** `GET /`. */
export const CHAT_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Galen — medical questions, answered with sources</title>
<link rel="stylesheet" href="/web/app.css">
<script src="/web/app.js" defer></script>
</head>
<body>
<header>
  <h1>Galen</h1>
  <p class="tagline">Medical questions, answered from cited sources. <strong>Galen is not a doctor.</strong></p>
</header>
<main>
  <section id="conversation" aria-live="polite"></section>
  <form id="ask">
    <label for="question" class="visually-hidden">Your question</label>
    <textarea id="question" name="question" rows="3" maxlength="10000" placeholder="Ask a medical question, e.g. What are the symptoms of gout?" required></textarea>
    <div class="actions">
      <button type="submit" id="send">Ask</button>
      <button type="button" id="stop" hidden>Stop</button>
      <details class="key">
        <summary>API key</summary>
        <input id="api-key" type="password" autocomplete="off" placeholder="only if this server requires one">
      </details>
    </div>
  </form>
</main>
<footer>
  <p id="disclaimer">Galen gives general information from its sources, not a diagnosis or treatment advice. In an emergency call your local emergency number.</p>
</footer>
</body>
</html>
`;

/** `GET /web/app.css`. */
export const CHAT_PAGE_CSS = `:root { color-scheme: light dark; --accent: #0b6e4f; --muted: #666; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 52rem; padding: 1rem; }
header h1 { margin: 0; color: var(--accent); }
.tagline { margin: 0 0 1rem; color: var(--muted); }
.turn { margin: 1rem 0; }
.question { font-weight: 600; }
.question::before { content: "You: "; color: var(--muted); font-weight: 400; }
.answer { white-space: pre-wrap; }
.banner { border-radius: 6px; padding: .75rem 1rem; margin: .5rem 0; font-weight: 600; }
.banner.emergency { background: #b00020; color: #fff; }
.banner.urgent { background: #f5b301; color: #000; }
.banner ul { margin: .25rem 0 0; font-weight: 400; }
.mode { display: inline-block; font-size: .8rem; border: 1px solid var(--muted); border-radius: 1rem; padding: 0 .5rem; color: var(--muted); }
.citations { font-size: .9rem; }
.citations li { margin: .25rem 0; }
.citations .meta { color: var(--muted); }
a.cite { text-decoration: none; font-size: .85em; vertical-align: super; }
.error { color: #b00020; }
form textarea { width: 100%; font: inherit; padding: .5rem; }
.actions { display: flex; gap: .5rem; align-items: center; margin-top: .5rem; }
button { font: inherit; padding: .4rem 1.2rem; }
details.key { margin-left: auto; font-size: .85rem; color: var(--muted); }
footer { margin-top: 2rem; font-size: .85rem; color: var(--muted); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
`;

/** `GET /web/app.js`. */
export const CHAT_PAGE_JS = `'use strict';
(function () {
  var history = [];
  var form = document.getElementById('ask');
  var input = document.getElementById('question');
  var send = document.getElementById('send');
  var stop = document.getElementById('stop');
  var keyInput = document.getElementById('api-key');
  var conversation = document.getElementById('conversation');
  var controller = null;
  try { keyInput.value = localStorage.getItem('galen-api-key') || ''; } catch (e) { /* storage may be off */ }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // The answer text with each [n] as a link to its source (text nodes only: never innerHTML of model output).
  function renderAnswer(node, text, citations) {
    node.textContent = '';
    var re = /\\[(\\d+)\\]/g, last = 0, m;
    while ((m = re.exec(text)) !== null) {
      node.appendChild(document.createTextNode(text.slice(last, m.index)));
      var c = citations[m[1]];
      var a = el('a', 'cite', '[' + m[1] + ']');
      a.href = c && c.url ? c.url : '#source-' + m[1];
      if (c) a.title = c.title + (c.section ? ' — ' + c.section : '');
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      node.appendChild(a);
      last = re.lastIndex;
    }
    node.appendChild(document.createTextNode(text.slice(last)));
  }

  function renderBanner(turn, triage) {
    if (!triage || triage.level === 'none') return;
    var banner = el('div', 'banner ' + triage.level);
    banner.setAttribute('role', 'alert');
    banner.appendChild(el('div', null, triage.level === 'emergency' ? 'Possible emergency: get help now.' : 'These symptoms need prompt medical attention.'));
    var list = el('ul');
    triage.reasons.forEach(function (r) { list.appendChild(el('li', null, r.description)); });
    banner.appendChild(list);
    turn.insertBefore(banner, turn.querySelector('.answer'));
  }

  function renderCitations(turn, citations) {
    var old = turn.querySelector('.citations');
    if (old) old.remove();
    if (!citations.length) return;
    var box = el('section', 'citations');
    box.appendChild(el('h3', null, 'Sources'));
    var list = el('ol');
    citations.forEach(function (c) {
      var li = el('li');
      li.id = 'source-' + c.n;
      li.value = c.n;
      var link = el(c.url ? 'a' : 'span', 'title', c.title + (c.section ? ' — ' + c.section : ''));
      if (c.url) { link.href = c.url; link.target = '_blank'; link.rel = 'noopener noreferrer'; }
      li.appendChild(link);
      li.appendChild(el('span', 'meta', ' · ' + c.source + ' · ' + c.license + (c.attribution ? ' · ' + c.attribution : '') + ' · ' + c.externalId));
      list.appendChild(li);
    });
    box.appendChild(list);
    turn.appendChild(box);
  }

  function parseEvents(buffer, onEvent) {
    var frames = buffer.split('\\n\\n');
    var rest = frames.pop();
    frames.forEach(function (frame) {
      var event = 'message', data = [];
      frame.split('\\n').forEach(function (line) {
        if (line.indexOf('event:') === 0) event = line.slice(6).trim();
        else if (line.indexOf('data:') === 0) data.push(line.slice(5).replace(/^ /, ''));
      });
      if (data.length) onEvent(event, JSON.parse(data.join('\\n')));
    });
    return rest;
  }

  async function ask(question) {
    var turn = el('article', 'turn');
    turn.appendChild(el('p', 'question', question));
    var mode = el('span', 'mode', '…');
    var answer = el('div', 'answer');
    turn.appendChild(mode);
    turn.appendChild(answer);
    conversation.appendChild(turn);
    history.push({ role: 'user', content: question });
    var text = '', citations = {}, given = [];
    controller = new AbortController();
    send.disabled = true; stop.hidden = false;
    var headers = { 'content-type': 'application/json', accept: 'text/event-stream' };
    var key = keyInput.value.trim();
    if (key) headers.authorization = 'Bearer ' + key;
    try { localStorage.setItem('galen-api-key', key); } catch (e) { /* storage may be off */ }
    try {
      var res = await fetch('/v1/chat', { method: 'POST', headers: headers, body: JSON.stringify({ messages: history, stream: true }), signal: controller.signal });
      if (!res.ok || !res.body) {
        var body = await res.json().catch(function () { return { error: { message: res.statusText } }; });
        throw new Error(body.error ? body.error.message : res.statusText);
      }
      var reader = res.body.getReader(), decoder = new TextDecoder(), buffer = '';
      for (;;) {
        var chunk = await reader.read();
        if (chunk.done) break;
        buffer = parseEvents(buffer + decoder.decode(chunk.value, { stream: true }), function (event, data) {
          if (event === 'citations') {
            mode.textContent = data.mode === 'generative' ? 'generative answer' : 'extractive answer';
            mode.dataset.mode = data.mode;
            given = data.citations;
            given.forEach(function (c) { citations[c.n] = c; });
            renderBanner(turn, data.triage);
          } else if (event === 'delta') {
            text += data.text;
            renderAnswer(answer, text, citations);
          } else if (event === 'done') {
            renderCitations(turn, data.citations);
            history.push({ role: 'assistant', content: data.answer });
          } else if (event === 'error') {
            throw new Error(data.error.message);
          }
        });
      }
    } catch (error) {
      if (error.name !== 'AbortError') turn.appendChild(el('p', 'error', 'Galen could not answer: ' + error.message));
      if (history.length && history[history.length - 1].role === 'user') history.pop();
    } finally {
      controller = null;
      send.disabled = false; stop.hidden = true;
    }
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var question = input.value.trim();
    if (!question || controller) return;
    input.value = '';
    ask(question);
  });
  input.addEventListener('keydown', function (event) {
    if (event.key === 'Enter' && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });
  stop.addEventListener('click', function () { if (controller) controller.abort(); });
})();
`;
