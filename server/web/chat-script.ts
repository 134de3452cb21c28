/**
 * The chat page's script (`GET /web/app.js`), plain browser JavaScript with no build step. It
 * streams answers from `POST /v1/chat` (Server-Sent Events) and renders each delta as it arrives:
 * markdown through `marked`, sanitised by `DOMPurify` (raw HTML shown as text, only http(s) links),
 * `[n]` markers renumbered 1..n in order of first use with a preview card on hover and focus. It
 * keeps conversations in this browser's localStorage only (clearable), the API key in
 * sessionStorage unless "remember" is ticked, and sends feedback to `POST /v1/feedback`.
 *
 * Written with `String.raw` so regular expressions read as they run; the script therefore uses no
 * backticks and no dollar-brace sequences.
 */

/** `GET /web/app.js`. */
export const CHAT_PAGE_JS = String.raw`'use strict';
(function () {
  var CONVERSATIONS = 'galen.conversations.v1';
  var KEY = 'galen.apiKey';
  var MAX_CONVERSATIONS = 50;
  // The API takes at most 50 messages: the question and the 48 before it.
  var MAX_HISTORY_MESSAGES = 48;
  var MODE_LABEL = { extractive: 'Quoted from sources (no AI model)', generative: 'Written by an AI model from the sources' };
  var SOURCE_LABEL = { 'wikipedia-live': 'Wikipedia', wikipedia: 'Wikipedia', medquad: 'MedQuAD (NIH)' };

  function $(id) { return document.getElementById(id); }
  var form = $('ask'), input = $('question'), send = $('send'), stop = $('stop');
  var keyInput = $('api-key'), remember = $('remember-key'), keyBox = $('key-box');
  var conversationEl = $('conversation'), welcome = $('welcome'), thread = $('thread'), statusEl = $('status');
  var historyPanel = $('history'), historyList = $('history-list'), historyEmpty = $('history-empty'), historyToggle = $('toggle-history');
  var controller = null;
  var current = newConversation();
  var uid = 0;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function announce(text) { statusEl.textContent = text; }
  function store(kind) { try { return window[kind] || null; } catch (e) { return null; } }
  function readJson(key, fallback) {
    var s = store('localStorage');
    try { var v = s && s.getItem(key); return v ? JSON.parse(v) : fallback; } catch (e) { return fallback; }
  }
  function writeJson(key, value) {
    var s = store('localStorage');
    try { if (s) s.setItem(key, JSON.stringify(value)); } catch (e) { /* full or off: history is a convenience */ }
  }

  // ---- The API key: this tab only (sessionStorage), unless the user ticks "remember".
  function loadKey() {
    var local = store('localStorage'), session = store('sessionStorage');
    try {
      // Earlier pages kept the key in localStorage without asking: move it to this session.
      var old = local && local.getItem('galen-api-key');
      if (old !== null && old !== undefined) { local.removeItem('galen-api-key'); if (old && session) session.setItem(KEY, old); }
      var remembered = local && local.getItem(KEY);
      if (remembered) { keyInput.value = remembered; remember.checked = true; return; }
      keyInput.value = (session && session.getItem(KEY)) || '';
    } catch (e) { /* storage off */ }
  }
  function saveKey() {
    var key = keyInput.value.trim(), local = store('localStorage'), session = store('sessionStorage');
    try {
      if (remember.checked && key) {
        if (local) local.setItem(KEY, key);
        if (session) session.removeItem(KEY);
      } else {
        if (local) local.removeItem(KEY);
        if (session) { if (key) session.setItem(KEY, key); else session.removeItem(KEY); }
      }
    } catch (e) { /* storage off */ }
  }

  // ---- Safe links and readable source names.
  function safeUrl(url) {
    if (!url) return null;
    try {
      var u = new URL(String(url), location.href);
      return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
    } catch (e) { return null; }
  }
  function siteOf(c) {
    var url = safeUrl(c.url);
    if (url) return new URL(url).hostname.replace(/^www\./, '');
    return SOURCE_LABEL[c.source] || c.source || '';
  }
  // MedQuAD names passages by their question ("What is (are) Gout ?"): say what they are about.
  var HEADINGS = [
    [/^what (?:is|are) \(are\) (.+)$/i, '$1'],
    [/^what (?:is|are) (?:the )?(?:signs and )?symptoms of (.+)$/i, 'Symptoms of $1'],
    [/^what (?:is|are) (?:the )?treatments? for (.+)$/i, 'Treatment of $1'],
    [/^what causes (.+)$/i, 'Causes of $1'],
    [/^how (?:to|can|do you|is) diagnose[d]? (.+)$/i, 'Diagnosis of $1'],
    [/^how (?:to|can) prevent (.+)$/i, 'Prevention of $1'],
    [/^what is the outlook for (.+)$/i, 'Outlook for $1'],
    [/^who is at risk for (.+)$/i, 'Risk factors for $1'],
    [/^what are the complications of (.+)$/i, 'Complications of $1'],
    [/^what are the genetic changes related to (.+)$/i, 'Genetic changes related to $1'],
    [/^is (.+) inherited$/i, 'Inheritance of $1'],
    [/^how many people are affected by (.+)$/i, 'How common $1 is'],
    [/^what are the stages of (.+)$/i, 'Stages of $1'],
    [/^what research \(or clinical trials\) is being done for (.+)$/i, 'Research on $1'],
    [/^do you have information about (.+)$/i, '$1'],
    [/^what (?:is|are) (.+)$/i, '$1']
  ];
  function cleanHeading(text) {
    var t = String(text || '').replace(/\s+/g, ' ').trim();
    var asked = /\?\s*$/.test(t);
    t = t.replace(/[\s?？]+$/, '').replace(/\s+([,.;:])/g, '$1');
    for (var i = 0; i < HEADINGS.length; i++) {
      if (HEADINGS[i][0].test(t)) { t = t.replace(HEADINGS[i][0], HEADINGS[i][1]); asked = false; break; }
    }
    t = t.replace(/\?+$/, '');
    if (!t) return '';
    t = t.charAt(0).toUpperCase() + t.slice(1);
    return asked ? t + '?' : t;
  }
  function display(c) {
    var title = cleanHeading(c.title) || siteOf(c);
    var section = cleanHeading(c.section);
    var low = title.toLowerCase();
    // "What is (are) Gout ?" under the title Gout: the passage is the overview.
    if (section.toLowerCase() === low) section = 'Overview';
    else {
      var tail = section.toLowerCase().lastIndexOf(' ' + low);
      if (tail > 0 && tail + low.length + 1 === section.length) section = section.slice(0, tail).replace(/\s+(?:of|for|to|on)$/i, '');
    }
    return { title: title, section: section, site: siteOf(c), url: safeUrl(c.url), preview: c.preview || '' };
  }

  // ---- Markdown, sanitised. Raw HTML in an answer is shown as text; links are http(s) only.
  var md = null;
  if (window.marked && window.DOMPurify) {
    md = new window.marked.Marked({ gfm: true, breaks: true, async: false });
    md.use({ renderer: { html: function (token) { return escapeHtml(token.text || token.raw || ''); } } });
    window.DOMPurify.addHook('afterSanitizeAttributes', function (node) {
      if (node.tagName !== 'A') return;
      var href = safeUrl(node.getAttribute('href'));
      if (!href) { node.removeAttribute('href'); return; }
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer');
    });
  }
  var ALLOWED_TAGS = ['p', 'br', 'ul', 'ol', 'li', 'strong', 'em', 'b', 'i', 'code', 'pre', 'blockquote', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6',
    'table', 'thead', 'tbody', 'tr', 'th', 'td', 'a', 'hr', 'del'];
  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (ch) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[ch]; });
  }
  function markdown(text) {
    if (md) {
      return window.DOMPurify.sanitize(md.parse(text), { ALLOWED_TAGS: ALLOWED_TAGS, ALLOWED_ATTR: ['href', 'start', 'title'], RETURN_DOM_FRAGMENT: true });
    }
    // Without the libraries: paragraphs of plain text.
    var frag = document.createDocumentFragment();
    text.split(/\n{2,}/).forEach(function (para) { if (para.trim()) frag.appendChild(el('p', null, para)); });
    return frag;
  }

  // ---- Citations: the API numbers passages; the page numbers the cited ones 1..n by first use.
  function numbering(text, byN) {
    var map = {}, order = [], re = /\[(\d+)\]/g, m;
    while ((m = re.exec(text)) !== null) {
      var c = byN[m[1]];
      if (c && !map[m[1]]) { order.push(c); map[m[1]] = order.length; }
    }
    return { map: map, order: order };
  }
  function previewCard(d, id) {
    var tip = el('span', 'preview');
    tip.id = id;
    tip.setAttribute('role', 'tooltip');
    tip.appendChild(el('strong', null, d.title + (d.section ? ' — ' + d.section : '')));
    if (d.site) tip.appendChild(el('span', 'site', d.site));
    if (d.preview) tip.appendChild(el('span', null, d.preview));
    return tip;
  }
  function linkCitations(root, view, numbers) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, null), nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    nodes.forEach(function (node) {
      if (node.parentNode.closest && node.parentNode.closest('a, code, pre')) return;
      var text = node.nodeValue, re = /\[(\d+)\]/g, m, last = 0, frag = null;
      while ((m = re.exec(text)) !== null) {
        var c = view.byN[m[1]];
        if (!c) continue;
        frag = frag || document.createDocumentFragment();
        frag.appendChild(document.createTextNode(text.slice(last, m.index)));
        frag.appendChild(marker(c, numbers.map[m[1]], view));
        last = re.lastIndex;
      }
      if (!frag) return;
      frag.appendChild(document.createTextNode(text.slice(last)));
      node.parentNode.replaceChild(frag, node);
    });
  }
  function marker(c, n, view) {
    var d = display(c), wrap = el('span', 'cite-wrap'), a = el('a', 'cite', '[' + n + ']');
    a.href = d.url || '#' + view.id + '-src-' + n;
    if (d.url) { a.target = '_blank'; a.rel = 'noopener noreferrer'; }
    a.setAttribute('aria-label', 'Source ' + n + ': ' + d.title);
    var tip = previewCard(d, view.id + '-tip-' + (++uid));
    a.setAttribute('aria-describedby', tip.id);
    wrap.appendChild(a);
    wrap.appendChild(tip);
    wrap.addEventListener('mouseenter', function () { keepInView(tip); });
    wrap.addEventListener('focusin', function () { keepInView(tip); });
    return wrap;
  }
  // A preview card near the right edge moves left so it stays readable.
  function keepInView(tip) {
    tip.style.left = '0px';
    var rect = tip.getBoundingClientRect(), room = document.documentElement.clientWidth - 8;
    if (rect.right > room) tip.style.left = Math.min(0, Math.max(room - rect.right, 8 - rect.left)) + 'px';
  }
  function renderSources(view, order) {
    view.sources.textContent = '';
    view.sources.hidden = order.length === 0;
    if (!order.length) return;
    view.sources.appendChild(el('h3', null, 'Sources'));
    var list = el('ol'), licences = [];
    order.forEach(function (c, i) {
      var d = display(c), li = el('li');
      li.id = view.id + '-src-' + (i + 1);
      var title = el(d.url ? 'a' : 'span', 'src-title', d.title);
      if (d.url) { title.href = d.url; title.target = '_blank'; title.rel = 'noopener noreferrer'; }
      li.appendChild(title);
      if (d.section) li.appendChild(el('span', 'src-section', ' — ' + d.section));
      if (d.site) li.appendChild(el('span', 'src-site', d.site));
      if (d.preview) {
        var tip = previewCard(d, view.id + '-tip-' + (++uid));
        li.appendChild(tip);
        title.setAttribute('aria-describedby', tip.id);
        if (!d.url) title.tabIndex = 0;
      }
      list.appendChild(li);
      var licence = [c.license, c.attribution].filter(Boolean).join(' — ');
      if (licence && licences.indexOf(licence) < 0) licences.push(licence);
    });
    view.sources.appendChild(list);
    if (licences.length) view.sources.appendChild(el('p', 'licences', 'Source texts: ' + licences.join('; ') + '.'));
  }
  function renderAnswer(view) {
    var turn = view.turn, numbers = numbering(turn.answer, view.byN);
    var frag = markdown(turn.answer);
    linkCitations(frag, view, numbers);
    view.answer.textContent = '';
    view.answer.appendChild(frag);
    renderSources(view, numbers.order);
    return numbers;
  }
  var pending = [];
  function scheduleRender(view) {
    if (pending.indexOf(view) >= 0) return;
    pending.push(view);
    if (pending.length === 1) requestAnimationFrame(function () {
      var stick = thread.scrollHeight - thread.scrollTop - thread.clientHeight < 80;
      pending.splice(0).forEach(renderAnswer);
      if (stick) thread.scrollTop = thread.scrollHeight;
    });
  }
  // The answer as text, with the page's numbers and a source list (for the clipboard).
  function plainAnswer(view) {
    var numbers = numbering(view.turn.answer, view.byN);
    var text = view.turn.answer.replace(/\[(\d+)\]/g, function (all, n) { return numbers.map[n] ? '[' + numbers.map[n] + ']' : all; });
    if (!numbers.order.length) return text;
    return text + '\n\nSources:\n' + numbers.order.map(function (c, i) {
      var d = display(c);
      return '[' + (i + 1) + '] ' + d.title + (d.section ? ' — ' + d.section : '') + (d.url ? ' ' + d.url : d.site ? ' (' + d.site + ')' : '');
    }).join('\n');
  }

  // ---- Errors, in words for people.
  function peopleMessage(status, code, message, hadKey) {
    if (code === 'API_KEY_REQUIRED' || (status === 401 && !hadKey)) return 'Galen needs an API key for this server — ask your administrator, then enter it under “API key” below.';
    if (status === 401) return 'This API key was not accepted — check it under “API key” below, or ask your administrator for a new one.';
    if (status === 403) return 'Your API key does not allow asking questions — ask your administrator.';
    if (status === 429) return 'Too many questions in a short time — wait a minute and try again.';
    if (code === 'NOT_READY') return 'Galen is still starting up (loading its sources) — try again in a minute.';
    if (status === 503) return 'Galen is busy answering other questions — try again in a moment.';
    if (status === 413) return 'That question is too long for Galen — shorten it and try again.';
    if (status === 400 && message) return 'Galen could not accept that question: ' + String(message).replace(/^[\w.]+: /, '') + '.';
    if (status === 0) return 'Galen cannot be reached — check your connection, or ask your administrator whether the Galen server is running.';
    return 'Something went wrong inside Galen — try again; if it keeps happening, tell your administrator.';
  }
  var CODE_STATUS = { API_KEY_REQUIRED: 401, INVALID_API_KEY: 401, REVOKED_API_KEY: 401, FORBIDDEN: 403, RATE_LIMITED: 429, NOT_READY: 503, BUSY: 503, UNAVAILABLE: 503, INVALID_REQUEST: 400 };
  function ApiFailure(status, code, message) { this.status = status; this.code = code; this.message = message; }

  function headers() {
    var h = { 'content-type': 'application/json' }, key = keyInput.value.trim();
    if (key) h.authorization = 'Bearer ' + key;
    return h;
  }
  async function failureOf(res) {
    var body = await res.json().catch(function () { return null; });
    var e = body && body.error ? body.error : {};
    return new ApiFailure(res.status, e.code || '', e.message || res.statusText);
  }

  // ---- Conversations, kept in this browser only.
  function newConversation() { return { id: 'c' + Date.now().toString(36) + Math.random().toString(36).slice(2, 8), title: '', updated: 0, turns: [] }; }
  function saveConversation() {
    var turns = current.turns.filter(function (t) { return t.state === 'done' || t.state === 'stopped'; });
    if (!turns.length) return;
    current.updated = Date.now();
    current.title = current.title || turns[0].question.slice(0, 80);
    var all = readJson(CONVERSATIONS, []).filter(function (c) { return c && c.id !== current.id; });
    all.unshift({ id: current.id, title: current.title, updated: current.updated, turns: turns });
    writeJson(CONVERSATIONS, all.slice(0, MAX_CONVERSATIONS));
    renderHistory();
  }
  function renderHistory() {
    var all = readJson(CONVERSATIONS, []);
    historyList.textContent = '';
    historyEmpty.hidden = all.length > 0;
    $('clear-history').hidden = all.length === 0;
    all.forEach(function (c) {
      var li = el('li'), b = el('button', null, c.title || 'Conversation');
      b.type = 'button';
      b.title = c.title + ' — ' + new Date(c.updated).toLocaleString();
      if (c.id === current.id) b.setAttribute('aria-current', 'true');
      b.addEventListener('click', function () { openConversation(c); });
      li.appendChild(b);
      historyList.appendChild(li);
    });
  }
  function showConversation() {
    conversationEl.textContent = '';
    current.turns.forEach(function (turn) { var view = turnView(turn); finishView(view); });
    welcome.hidden = current.turns.length > 0;
    updateRegenerate();
  }
  function openConversation(c) {
    if (controller) controller.abort();
    current = { id: c.id, title: c.title, updated: c.updated, turns: c.turns.slice() };
    showConversation();
    renderHistory();
    if (window.matchMedia('(max-width: 40rem)').matches) toggleHistory(false);
    input.focus();
  }
  function startNewChat() {
    if (controller) controller.abort();
    current = newConversation();
    showConversation();
    renderHistory();
    input.value = '';
    input.focus();
    announce('New conversation.');
  }
  function toggleHistory(open) {
    historyPanel.hidden = !open;
    historyToggle.setAttribute('aria-expanded', String(open));
    if (open) { renderHistory(); $('close-history').focus(); }
  }

  // ---- One turn on the page.
  function turnView(turn) {
    var view = { id: 't' + (++uid), turn: turn, byN: {} };
    (turn.citations || []).forEach(function (c) { view.byN[c.n] = c; });
    var article = el('article', 'turn');
    var q = el('div', 'question');
    q.appendChild(el('span', 'visually-hidden', 'You asked: '));
    q.appendChild(el('p', null, turn.question));
    article.appendChild(q);
    var reply = el('div', 'reply');
    view.banner = el('div');
    view.mode = el('span', 'mode');
    view.answer = el('div', 'answer');
    view.sources = el('section', 'citations');
    view.sources.setAttribute('aria-label', 'Sources');
    view.sources.hidden = true;
    view.tools = el('div', 'tools');
    view.tools.hidden = true;
    view.error = el('div');
    [view.banner, view.mode, view.answer, view.sources, view.tools, view.error].forEach(function (n) { reply.appendChild(n); });
    article.appendChild(reply);
    view.el = article;
    article.view = view;
    conversationEl.appendChild(article);
    renderBanner(view);
    setMode(view);
    return view;
  }
  function setMode(view) {
    var mode = view.turn.mode;
    view.mode.classList.toggle('pending', !mode);
    view.mode.hidden = false;
    view.mode.textContent = mode ? MODE_LABEL[mode] || mode : 'Searching the sources';
    if (mode) view.mode.dataset.mode = mode;
  }
  function renderBanner(view) {
    var triage = view.turn.triage;
    view.banner.textContent = '';
    view.banner.className = '';
    if (!triage || triage.level === 'none' || !triage.level) return;
    view.banner.className = 'banner ' + triage.level;
    view.banner.setAttribute('role', 'alert');
    view.banner.appendChild(el('div', null, triage.level === 'emergency' ? 'Possible emergency: get help now.' : 'These symptoms need prompt medical attention.'));
    var list = el('ul');
    (triage.reasons || []).forEach(function (r) { list.appendChild(el('li', null, r.description)); });
    view.banner.appendChild(list);
  }
  function finishView(view) {
    renderAnswer(view);
    if (view.turn.state === 'stopped') view.error.appendChild(el('p', 'stopped', 'Stopped before the answer was finished.'));
    view.tools.textContent = '';
    view.tools.hidden = false;
    tool(view, 'Copy', 'copy', function (b) { copy(view, b); });
    tool(view, 'Regenerate', 'regenerate', function () { regenerate(view); });
    var up = tool(view, 'Helpful', 'rate-up', function () { openFeedback(view, 'up'); });
    var down = tool(view, 'Not helpful', 'rate-down', function () { openFeedback(view, 'down'); });
    up.setAttribute('aria-pressed', String(view.turn.rating === 'up'));
    down.setAttribute('aria-pressed', String(view.turn.rating === 'down'));
    if (view.turn.rating) { up.disabled = down.disabled = true; }
    updateRegenerate();
  }
  function tool(view, label, name, onClick) {
    var b = el('button', name, label);
    b.type = 'button';
    b.addEventListener('click', function () { onClick(b); });
    view.tools.appendChild(b);
    return b;
  }
  function updateRegenerate() {
    var turns = conversationEl.querySelectorAll('.turn');
    turns.forEach(function (t, i) {
      var b = t.querySelector('button.regenerate');
      if (b) b.hidden = i !== turns.length - 1;
    });
  }
  async function copy(view, button) {
    var text = plainAnswer(view);
    try {
      await navigator.clipboard.writeText(text);
    } catch (e) {
      var area = el('textarea');
      area.value = text;
      area.setAttribute('aria-hidden', 'true');
      area.style.position = 'fixed';
      area.style.opacity = '0';
      document.body.appendChild(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    button.textContent = 'Copied';
    announce('Answer copied.');
    setTimeout(function () { button.textContent = 'Copy'; }, 2000);
  }
  function regenerate(view) {
    if (controller) return;
    var i = current.turns.indexOf(view.turn);
    if (i < 0) return;
    current.turns.splice(i, 1);
    view.el.remove();
    ask(view.turn.question);
  }
  function openFeedback(view, rating) {
    var old = view.el.querySelector('form.feedback');
    if (old) old.remove();
    view.tools.querySelectorAll('.rate-up, .rate-down').forEach(function (b) {
      b.setAttribute('aria-pressed', String(b.classList.contains(rating === 'up' ? 'rate-up' : 'rate-down')));
    });
    var box = el('form', 'feedback'), id = view.id + '-note';
    var label = el('label', null, rating === 'up' ? 'What was helpful? (optional)' : 'What was wrong or missing? (optional)');
    label.htmlFor = id;
    var note = el('textarea');
    note.id = id;
    note.rows = 2;
    note.maxLength = 2000;
    var row = el('div', 'row'), sendButton = el('button', 'primary', 'Send feedback'), cancel = el('button', null, 'Cancel');
    sendButton.type = 'submit';
    cancel.type = 'button';
    row.appendChild(sendButton);
    row.appendChild(cancel);
    box.appendChild(label);
    box.appendChild(note);
    box.appendChild(row);
    box.appendChild(el('p', 'note', 'Sent to this Galen server only. Your question is not stored with it unless your administrator turned question logging on.'));
    view.tools.after(box);
    note.focus();
    box.scrollIntoView({ block: 'nearest' });
    cancel.addEventListener('click', function () {
      box.remove();
      view.tools.querySelectorAll('.rate-up, .rate-down').forEach(function (b) { b.setAttribute('aria-pressed', 'false'); });
    });
    box.addEventListener('submit', async function (event) {
      event.preventDefault();
      sendButton.disabled = true;
      var t = view.turn, hadKey = !!keyInput.value.trim();
      var body = { answerId: t.answerId, rating: rating, mode: t.mode, sources: (t.citations || []).map(function (c) { return c.externalId; }).filter(Boolean).slice(0, 20), question: t.question.slice(0, 10000), answer: t.answer.slice(0, 40000) };
      if (note.value.trim()) body.note = note.value.trim();
      try {
        var res = await fetch('/v1/feedback', { method: 'POST', headers: headers(), body: JSON.stringify(body) });
        if (!res.ok) throw await failureOf(res);
        t.rating = rating;
        saveConversation();
        box.textContent = '';
        box.appendChild(el('p', 'thanks', 'Thank you — your feedback was sent.'));
        view.tools.querySelectorAll('.rate-up, .rate-down').forEach(function (b) { b.disabled = true; });
        announce('Feedback sent.');
      } catch (e) {
        sendButton.disabled = false;
        var msg = e instanceof ApiFailure ? peopleMessage(e.status, e.code, e.message, hadKey) : peopleMessage(0, '', '', hadKey);
        var p = box.querySelector('.error') || box.appendChild(el('p', 'error'));
        p.textContent = 'Your feedback was not sent. ' + msg;
      }
    });
  }

  // ---- Asking.
  function parseEvents(buffer, onEvent) {
    var frames = buffer.split('\n\n'), rest = frames.pop();
    frames.forEach(function (frame) {
      var event = 'message', data = [];
      frame.split('\n').forEach(function (line) {
        if (line.indexOf('event:') === 0) event = line.slice(6).trim();
        else if (line.indexOf('data:') === 0) data.push(line.slice(5).replace(/^ /, ''));
      });
      if (data.length) onEvent(event, JSON.parse(data.join('\n')));
    });
    return rest;
  }
  function historyMessages() {
    var messages = [];
    current.turns.forEach(function (t) {
      if ((t.state === 'done' || t.state === 'stopped') && t.answer.trim()) {
        messages.push({ role: 'user', content: t.question });
        messages.push({ role: 'assistant', content: t.answer });
      }
    });
    return messages.slice(Math.max(0, messages.length - MAX_HISTORY_MESSAGES));
  }
  function setBusy(busy) {
    send.hidden = busy;
    stop.hidden = !busy;
    send.disabled = busy;
    if (busy) stop.focus();
    else if (document.activeElement === stop || document.activeElement === document.body) input.focus();
  }

  async function ask(question) {
    conversationEl.querySelectorAll('.turn.failed').forEach(function (n) { n.remove(); });
    welcome.hidden = true;
    var turn = { question: question, answer: '', mode: '', citations: [], triage: null, answerId: '', state: 'streaming' };
    var messages = historyMessages().concat([{ role: 'user', content: question }]);
    current.turns.push(turn);
    var view = turnView(turn), given = {}, hadKey = !!keyInput.value.trim();
    view.el.setAttribute('aria-busy', 'true');
    thread.scrollTop = thread.scrollHeight;
    controller = new AbortController();
    setBusy(true);
    announce('Galen is answering…');
    saveKey();
    try {
      var h = headers();
      h.accept = 'text/event-stream';
      var res;
      try {
        res = await fetch('/v1/chat', { method: 'POST', headers: h, body: JSON.stringify({ messages: messages, stream: true }), signal: controller.signal });
      } catch (e) {
        if (e.name === 'AbortError') throw e;
        throw new ApiFailure(0, '', '');
      }
      if (!res.ok || !res.body) throw await failureOf(res);
      var reader = res.body.getReader(), decoder = new TextDecoder(), buffer = '', finished = false;
      for (;;) {
        var chunk = await reader.read();
        if (chunk.done) break;
        buffer = parseEvents(buffer + decoder.decode(chunk.value, { stream: true }), function (event, data) {
          if (event === 'citations') {
            turn.mode = data.mode;
            turn.answerId = data.id;
            turn.triage = data.triage;
            (data.citations || []).forEach(function (c) { given[c.n] = c; view.byN[c.n] = c; });
            setMode(view);
            renderBanner(view);
          } else if (event === 'delta') {
            turn.answer += data.text;
            scheduleRender(view);
          } else if (event === 'done') {
            turn.answer = data.answer;
            turn.answerId = data.id || turn.answerId;
            turn.citations = data.citations;
            view.byN = {};
            data.citations.forEach(function (c) { view.byN[c.n] = c; });
            finished = true;
          } else if (event === 'error') {
            var e = data.error || {};
            throw new ApiFailure(CODE_STATUS[e.code] || 500, e.code || '', e.message || '');
          }
        });
      }
      if (!finished) throw new ApiFailure(500, '', 'the answer ended early');
      turn.state = 'done';
      finishView(view);
      saveConversation();
      announce('Answer ready.');
    } catch (error) {
      if (error && error.name === 'AbortError') {
        turn.state = 'stopped';
        turn.citations = Object.keys(given).map(function (n) { return given[n]; }).filter(function (c) { return turn.answer.indexOf('[' + c.n + ']') >= 0; });
        finishView(view);
        saveConversation();
        announce('Stopped.');
      } else {
        turn.state = 'failed';
        current.turns.splice(current.turns.indexOf(turn), 1);
        view.el.classList.add('failed');
        view.mode.hidden = true;
        view.answer.textContent = '';
        var status = error instanceof ApiFailure ? error.status : 0;
        var msg = error instanceof ApiFailure ? peopleMessage(status, error.code, error.message, hadKey) : peopleMessage(500, '', '', hadKey);
        var p = el('p', 'error', msg);
        p.setAttribute('role', 'alert');
        view.error.appendChild(p);
        var retry = el('button', null, 'Try again');
        retry.type = 'button';
        retry.addEventListener('click', function () { if (!controller) { input.value = ''; ask(question); } });
        view.error.appendChild(retry);
        if (!input.value.trim()) input.value = question;
        if (status === 401) { keyBox.open = true; keyInput.focus(); }
      }
    } finally {
      view.el.removeAttribute('aria-busy');
      controller = null;
      setBusy(false);
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
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) { event.preventDefault(); form.requestSubmit(); }
  });
  stop.addEventListener('click', function () { if (controller) controller.abort(); });
  keyInput.addEventListener('change', saveKey);
  remember.addEventListener('change', saveKey);
  $('new-chat').addEventListener('click', startNewChat);
  historyToggle.addEventListener('click', function () { toggleHistory(historyPanel.hidden); });
  $('close-history').addEventListener('click', function () { toggleHistory(false); historyToggle.focus(); });
  $('clear-history').addEventListener('click', function () {
    if (!window.confirm('Delete all saved conversations from this browser?')) return;
    var s = store('localStorage');
    try { if (s) s.removeItem(CONVERSATIONS); } catch (e) { /* storage off */ }
    renderHistory();
    announce('History cleared.');
  });
  document.querySelectorAll('button.example').forEach(function (b) {
    b.addEventListener('click', function () { input.value = b.textContent; form.requestSubmit(); });
  });
  loadKey();
  renderHistory();
})();
`;
