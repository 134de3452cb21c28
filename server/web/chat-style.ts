/**
 * The chat page's style (`GET /web/app.css`): light and dark themes (system setting) with text
 * contrast of at least WCAG AA, a composer pinned to the bottom of the viewport, and a font list
 * that falls back to any installed CJK font so Chinese answers render.
 */

/** `GET /web/app.css`. */
export const CHAT_PAGE_CSS = `:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1a1a1a; --muted: #555555; --accent: #0b6e4f; --accent-fg: #ffffff;
  --surface: #f3f5f4; --bubble: #e7f0ec; --border: #c8cfcc; --error: #b00020;
  --tip-bg: #1f1f1f; --tip-fg: #f5f5f5;
  --font: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial,
    "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC",
    "Noto Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Droid Sans Fallback", sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #121413; --fg: #e9ecea; --muted: #b4bcb8; --accent: #6fd6ae; --accent-fg: #0b1410;
    --surface: #1c201e; --bubble: #233029; --border: #47504c; --error: #ff9a8f;
    --tip-bg: #2b302d; --tip-fg: #f1f3f2;
  }
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html, body { height: 100%; }
body { margin: 0; font: 16px/1.55 var(--font); background: var(--bg); color: var(--fg); display: flex; height: 100dvh; overflow: hidden; }
:lang(zh) { font-family: "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Droid Sans Fallback", var(--font); }
a { color: var(--accent); }
button { font: inherit; color: inherit; cursor: pointer; border-radius: .5rem; border: 1px solid var(--border); background: var(--surface); padding: .35rem .8rem; }
button:hover { border-color: var(--accent); }
button:disabled { cursor: default; opacity: .75; }
button.primary { background: var(--accent); color: var(--accent-fg); border-color: var(--accent); font-weight: 600; padding: .5rem 1.1rem; }
button.quiet { background: transparent; }
button.icon { background: transparent; border: 0; font-size: 1.1rem; padding: .2rem .5rem; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.shell { flex: 1; display: flex; flex-direction: column; min-width: 0; height: 100%; }
header.top { display: flex; align-items: center; gap: .75rem; padding: .5rem 1rem; border-bottom: 1px solid var(--border); }
header.top h1 { margin: 0; font-size: 1.25rem; color: var(--accent); flex: 1; text-align: center; }
main { flex: 1; display: flex; flex-direction: column; min-height: 0; }
.thread { flex: 1; overflow-y: auto; padding: 1rem; }
.thread > * { max-width: 48rem; margin-left: auto; margin-right: auto; }
.welcome { padding-top: 2rem; }
.welcome .tagline { font-size: 1.1rem; }
.examples { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .5rem; }
.turn { margin: 1.25rem auto; }
.question { display: flex; justify-content: flex-end; margin-bottom: .75rem; }
.question p { margin: 0; background: var(--bubble); padding: .5rem .9rem; border-radius: 1rem 1rem .25rem 1rem; max-width: 85%; white-space: pre-wrap; overflow-wrap: anywhere; }
.mode { display: inline-block; font-size: .8rem; border: 1px solid var(--border); border-radius: 1rem; padding: 0 .6rem; color: var(--muted); }
.mode.pending::after { content: "…"; }
.answer { overflow-wrap: anywhere; }
.answer p { margin: .6rem 0; }
.answer h1, .answer h2, .answer h3, .answer h4, .answer h5, .answer h6 { font-size: 1.05rem; margin: 1rem 0 .25rem; }
.answer ul, .answer ol { padding-left: 1.4rem; }
.answer pre { overflow-x: auto; background: var(--surface); padding: .5rem; border-radius: .4rem; }
.answer code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
.answer table { border-collapse: collapse; }
.answer th, .answer td { border: 1px solid var(--border); padding: .2rem .5rem; }
.banner { border-radius: .5rem; padding: .75rem 1rem; margin: .5rem 0; font-weight: 600; }
.banner.emergency { background: #b00020; color: #ffffff; }
.banner.urgent { background: #f5b301; color: #000000; }
.banner ul { margin: .25rem 0 0; font-weight: 400; }
.cite-wrap { position: relative; }
a.cite { text-decoration: none; font-size: .8em; vertical-align: super; line-height: 0; padding: 0 .1em; font-weight: 600; }
.preview { display: none; position: absolute; z-index: 5; left: 0; top: 1.4em; width: max-content; max-width: min(22rem, 80vw);
  background: var(--tip-bg); color: var(--tip-fg); border: 1px solid var(--border); border-radius: .5rem; padding: .5rem .7rem;
  font-size: .85rem; font-weight: 400; line-height: 1.4; text-align: left; box-shadow: 0 4px 16px rgb(0 0 0 / 25%); white-space: normal; }
.preview strong { display: block; }
.preview .site { display: block; opacity: .9; }
.cite-wrap:hover .preview, .cite-wrap:focus-within .preview, .citations li:hover .preview, .citations li:focus-within .preview { display: block; }
.citations { font-size: .9rem; border-top: 1px solid var(--border); margin-top: .75rem; padding-top: .25rem; }
.citations h3 { font-size: .95rem; margin: .4rem 0; }
.citations ol { margin: 0; padding-left: 1.6rem; }
.citations li { margin: .3rem 0; position: relative; }
.citations .src-title { font-weight: 600; }
.citations .src-section, .citations .src-site { color: var(--muted); }
.citations .src-site { display: block; font-size: .85rem; }
.licences { color: var(--muted); font-size: .8rem; margin: .4rem 0 0; }
.tools { display: flex; flex-wrap: wrap; gap: .4rem; margin-top: .6rem; }
.tools button { font-size: .85rem; padding: .2rem .65rem; }
.tools button[aria-pressed="true"] { background: var(--accent); color: var(--accent-fg); border-color: var(--accent); }
.feedback { margin-top: .5rem; display: flex; flex-direction: column; gap: .4rem; max-width: 32rem; }
.feedback textarea { font: inherit; padding: .4rem; border-radius: .4rem; border: 1px solid var(--border); background: var(--bg); color: var(--fg); }
.feedback .row { display: flex; gap: .4rem; }
.note, .stopped, .thanks { color: var(--muted); font-size: .85rem; }
.error { color: var(--error); margin: .5rem 0; }
.composer { border-top: 1px solid var(--border); padding: .6rem 1rem calc(.6rem + env(safe-area-inset-bottom)); background: var(--bg); }
.composer > * { max-width: 48rem; margin-left: auto; margin-right: auto; }
.input-row { display: flex; gap: .5rem; align-items: flex-end; }
.input-row textarea { flex: 1; font: inherit; padding: .55rem .75rem; border-radius: .75rem; border: 1px solid var(--border); background: var(--surface); color: var(--fg); resize: none; max-height: 12rem; }
.composer-foot { display: flex; gap: 1rem; align-items: flex-start; justify-content: space-between; margin-top: .35rem; }
#disclaimer { margin: 0; font-size: .8rem; color: var(--muted); }
details.key { font-size: .85rem; color: var(--muted); flex-shrink: 0; }
details.key summary { cursor: pointer; }
details.key[open] { flex-basis: 100%; }
.key-fields { display: flex; flex-direction: column; gap: .3rem; margin-top: .3rem; }
.key-fields input[type=password] { font: inherit; padding: .3rem .5rem; border-radius: .4rem; border: 1px solid var(--border); background: var(--surface); color: var(--fg); }
.key-fields .check { display: flex; gap: .4rem; align-items: center; }
.history { width: 17rem; flex-shrink: 0; border-right: 1px solid var(--border); padding: .75rem; overflow-y: auto; background: var(--surface); display: flex; flex-direction: column; gap: .5rem; }
.history-head { display: flex; align-items: center; justify-content: space-between; }
.history h2 { font-size: 1rem; margin: 0; }
.history ul { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: .25rem; }
.history li button { width: 100%; text-align: left; background: transparent; border-color: transparent; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.history li button[aria-current="true"] { border-color: var(--accent); }
.history .note { margin: 0; }
@media (max-width: 40rem) {
  body { font-size: 15px; }
  .history { position: fixed; inset: 0 auto 0 0; width: min(85vw, 20rem); z-index: 10; box-shadow: 0 0 24px rgb(0 0 0 / 35%); }
  .thread { padding: .75rem; }
  .composer { padding-left: .6rem; padding-right: .6rem; }
  .composer-foot { gap: .5rem; flex-wrap: wrap; }
  #disclaimer { font-size: .75rem; flex: 1 1 0; min-width: 0; }
}
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
