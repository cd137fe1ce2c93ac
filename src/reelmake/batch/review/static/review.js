// The review page of one video: draws its state (GET /api/v/HASH) and posts each
// decision, which the server writes to the video's decisions.yaml and answers with
// the new state. Nothing here decides: the server does, with the workflow's own
// selection.
"use strict";

const TOKEN = document.querySelector('meta[name="reelmake-token"]').content;
const HASH = document.body.dataset.video;
const API = `/api/v/${HASH}`;
// Words shown around a clip's own.
const CONTEXT = 12;

let state = null;
let current = 0;
let menuFor = null; // {i, clip} of the word whose menu is open
let newClipFrom = null; // first word of a clip being added from the transcript
let polling = null;
let lastRender = null;
const players = new Map(); // a clip file's address -> its player, kept across draws

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function say(text, where = "message") {
  const box = $(where);
  box.textContent = text || "";
  box.hidden = !text;
}

async function answer(response) {
  let data = null;
  try {
    data = await response.json();
  } catch (error) {
    data = { error: `the server answered ${response.status}` };
  }
  if (!response.ok) {
    say(data.error || `the server answered ${response.status}`);
    return null;
  }
  return data;
}

async function load() {
  const data = await answer(await fetch(API, { headers: { "X-Reelmake-Token": TOKEN } }));
  if (data) apply(data);
  return data;
}

// Every change goes through here: the token in a header (a page of another site
// cannot set one) and the server's answer drawn, or its one line shown.
async function post(path, body) {
  const response = await fetch(`${API}/${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Reelmake-Token": TOKEN },
    body: JSON.stringify(body),
  });
  const data = await answer(response);
  if (data && path !== "render") {
    say("");
    apply(data);
  }
  return data;
}

function apply(next) {
  state = next;
  if (state.clips.length) current = Math.min(current, state.clips.length - 1);
  draw();
}

// -- drawing -----------------------------------------------------------------------

function seconds(s) {
  return `${Number(s).toFixed(2)} s`;
}

function draw() {
  say(state.problem, "problem");
  const counts = { rendered: 0, stale: 0, new: 0 };
  for (const c of state.clips) counts[c.status] += 1;
  $("summary").textContent = state.processed
    ? `${state.clips.length} clips: ${counts.rendered} rendered, ` +
      `${counts.stale + counts.new} to render` +
      (state.rejected.length ? `, ${state.rejected.length} rejected` : "")
    : "not processed yet: Render runs the workflow for it";
  $("render").classList.toggle("needed", Boolean(state.needs_run));
  const used = new Set();
  const cards = state.clips.map((c, i) => clipCard(c, i, used));
  $("clips").replaceChildren(...cards);
  for (const [url, player] of players) {
    if (!used.has(url)) {
      player.pause();
      players.delete(url);
    }
  }
  $("rejected").replaceChildren(...state.rejected.map(rejectedCard));
  $("rejected-section").hidden = !state.rejected.length;
  drawTranscript();
  if (menuFor) closeMenu();
  if (state.render && !polling) showProgress(state.render);
  if (state.render && state.render.state === "running") watchRender();
}

function player(url, captions) {
  let video = players.get(url);
  if (!video) {
    video = el("video", { controls: true, preload: "metadata", playsinline: true, src: url });
    if (captions) {
      video.append(el("track", { kind: "captions", srclang: "en", label: "captions", src: captions, default: true }));
    }
    players.set(url, video);
  }
  return video;
}

function badges(c) {
  const marks = [];
  if (c.approved) marks.push(["approved", "approved"]);
  if (c.added) marks.push(["added", "added"]);
  if (c.moved) marks.push(["moved", "trimmed"]);
  if (c.edited) marks.push(["edited", "edited"]);
  if (c.ranked_by_hand) marks.push(["edited", "placed"]);
  const render = { rendered: "rendered", stale: "to render again", new: "not rendered yet" };
  marks.push([c.status, render[c.status]]);
  return el("div", { class: "badges" },
    marks.map(([kind, text]) => el("span", { class: `badge ${kind}`, "data-badge": kind, text })));
}

function wordSpan(i, extra, clip) {
  const [start, , text, original] = state.words[i];
  const classes = ["w", extra];
  if (original !== null) classes.push("fixed");
  if (newClipFrom === i) classes.push("from");
  return el("span", {
    class: classes.filter(Boolean).join(" "),
    "data-i": i,
    "data-clip": clip,
    title: original !== null ? `heard "${original}"; ${seconds(start)}` : seconds(start),
    text: text,
  });
}

function clipWords(c) {
  const from = Math.max(0, c.first - CONTEXT);
  const to = Math.min(state.words.length - 1, c.last + CONTEXT);
  const spans = [];
  for (let i = from; i <= to; i += 1) {
    spans.push(wordSpan(i, i < c.first || i > c.last ? "out" : "", c.clip), " ");
  }
  return el("div", { class: "words", "data-part": "words" }, spans);
}

function button(action, text, title, extra = {}) {
  return el("button", { type: "button", "data-action": action, title, ...extra }, text);
}

function clipCard(c, i, used) {
  const card = el("article", {
    class: ["clip", i === current ? "current" : "", c.approved ? "approved" : ""].join(" "),
    id: `clip-${i + 1}`,
    "data-index": i,
    "data-clip": c.clip,
    "data-at": c.at.join(","),
    "data-status": c.status,
    "data-first": c.first,
    "data-last": c.last,
  });
  const media = [];
  if (c.video) {
    used.add(c.video);
    media.push(player(c.video, c.captions));
    if (c.earlier_render) {
      media.push(el("p", { class: "muted", text: "The render before your change; Render makes the new one." }));
    }
  } else {
    media.push(el("p", { class: "muted", text: "Not rendered yet." }));
  }
  const sub = Object.entries(c.subscores || {}).map(([k, v]) =>
    el("span", { text: `${k.replaceAll("_", " ")} ${v}` }));
  const fields = el("form", { class: "fields", "data-part": "fields", onsubmit: (e) => { e.preventDefault(); saveFields(i, e.currentTarget); } },
    el("label", { for: `title-${i}`, text: "Title" }),
    el("input", { id: `title-${i}`, name: "title", value: c.title, maxlength: 200 }),
    el("label", { for: `hook-${i}`, text: "Hook" }),
    el("input", { id: `hook-${i}`, name: "hook", value: c.hook, maxlength: 300 }),
    el("label", { for: `tags-${i}`, text: "Hashtags" }),
    el("input", { id: `tags-${i}`, name: "hashtags", value: c.hashtags.join(" ") }),
    el("span"), el("button", { type: "submit", "data-action": "save" }, "Save text"));
  card.append(
    el("h3", {}, `#${c.rank} `, el("span", { "data-part": "title", text: c.title })),
    badges(c),
    ...media,
    el("div", { class: "facts" },
      el("span", { class: "score", text: c.overall }), " / 10 · ",
      `${seconds(c.start)} to ${seconds(c.end)} (${Number(c.duration).toFixed(1)} s)`),
    el("div", { class: "subscores" }, sub),
    el("p", { class: "facts" }, el("b", { text: "Why: " }), c.reason),
    el("div", { class: "controls" },
      button("approve", c.approved ? "Approved" : "Approve", "approve (a)", { class: c.approved ? "on" : "" }),
      button("reject", "Reject", "reject (r)", { class: "reject" }),
      button("up", "Move up", "move up (u)", { disabled: i === 0 }),
      button("down", "Move down", "move down (d)", { disabled: i === state.clips.length - 1 })),
    el("div", { class: "trim" },
      el("span", { text: "Start" }),
      button("start-earlier", "◀ earlier", "start one word earlier ([)"),
      button("start-later", "later ▶", "start one word later (])"),
      el("span", { text: "End" }),
      button("end-earlier", "◀ earlier", "end one word earlier ({)"),
      button("end-later", "later ▶", "end one word later (})")),
    clipWords(c),
    fields,
  );
  card.addEventListener("click", (event) => {
    if (current !== i) {
      current = i;
      for (const other of document.querySelectorAll(".clip")) {
        other.classList.toggle("current", other === card);
      }
    }
    const action = event.target.closest("button[data-action]");
    if (action && action.dataset.action !== "save") {
      event.preventDefault();
      act(action.dataset.action, i);
    }
  });
  return card;
}

function rejectedCard(r) {
  return el("div", { class: "rejected-clip", "data-at": r.at.join(",") },
    el("p", {}, el("b", { text: r.title ? `${r.title}: ` : "" }),
      `${seconds(r.start)} to ${seconds(r.end)}: “${r.text.slice(0, 160)}”`),
    el("button", { type: "button", "data-action": "unreject", onclick: () => post("decide", { at: r.at, decision: null }) }, "Undo reject"));
}

function drawTranscript() {
  const box = $("transcript");
  $("transcript-section").hidden = !state.words.length;
  const mark = new Array(state.words.length).fill("");
  for (const c of state.clips) for (let i = c.first; i <= c.last; i += 1) mark[i] = "in-clip";
  for (const r of state.rejected) for (let i = r.first; i <= r.last; i += 1) if (!mark[i]) mark[i] = "in-rejected";
  const spans = [];
  for (let i = 0; i < state.words.length; i += 1) spans.push(wordSpan(i, mark[i], ""), " ");
  box.replaceChildren(...spans);
}

// -- decisions ---------------------------------------------------------------------

function clipAt(i) {
  return state.clips[i];
}

function act(action, i) {
  const c = clipAt(i);
  if (!c) return;
  const words = state.words;
  switch (action) {
    case "approve":
      return post("decide", { at: c.at, decision: c.approved ? null : "approve" });
    case "reject":
      return post("decide", { at: c.at, decision: "reject" });
    case "up":
      if (i > 0) current = i - 1;
      return post("move", { at: c.at, by: -1 });
    case "down":
      if (i < state.clips.length - 1) current = i + 1;
      return post("move", { at: c.at, by: 1 });
    case "start-earlier":
      return c.first > 0 && trimTo(c, c.first - 1, c.last);
    case "start-later":
      return c.first < c.last && trimTo(c, c.first + 1, c.last);
    case "end-earlier":
      return c.last > c.first && trimTo(c, c.first, c.last - 1);
    case "end-later":
      return c.last < words.length - 1 && trimTo(c, c.first, c.last + 1);
    case "render":
      return render();
    default:
      return null;
  }
}

// A clip from its first word to its last. Both ends are sent, the one that does
// not move too: a clip is words, and its other end stays on its word whatever the
// padding around it.
function trimTo(c, first, last) {
  return post("decide", { at: c.at, start: state.words[first][0], end: state.words[last][1] });
}

function saveFields(i, form) {
  const c = clipAt(i);
  const data = new FormData(form);
  const body = { at: c.at };
  // Only what was changed: a title left as it is stays the scorer's.
  if (data.get("title") !== c.title) body.title = data.get("title");
  if (data.get("hook") !== c.hook) body.hook = data.get("hook");
  if (data.get("hashtags") !== c.hashtags.join(" ")) body.hashtags = data.get("hashtags");
  if (Object.keys(body).length > 1) post("decide", body);
}

// -- the word menu -----------------------------------------------------------------

function openMenu(span) {
  const i = Number(span.dataset.i);
  const clip = span.dataset.clip;
  const c = state.clips.find((x) => x.clip === clip);
  const [start, end, text, original] = state.words[i];
  menuFor = { i, clip };
  document.querySelectorAll(".w.picked").forEach((w) => w.classList.remove("picked"));
  span.classList.add("picked");
  const fix = el("input", { id: "fix-text", value: text, "aria-label": "what the word says" });
  const choices = [];
  if (c) {
    choices.push(
      el("button", { type: "button", "data-menu": "start", onclick: () => trimTo(c, i, c.last) }, "Start here"),
      el("button", { type: "button", "data-menu": "end", onclick: () => trimTo(c, c.first, i) }, "End here"));
  } else if (newClipFrom === null || newClipFrom > i) {
    choices.push(el("button", { type: "button", "data-menu": "from", onclick: () => { newClipFrom = i; closeMenu(); drawTranscript(); say(`New clip from “${text}”: click its last word.`); } }, "New clip from here"));
  } else {
    const first = state.words[newClipFrom];
    choices.push(el("button", { type: "button", "data-menu": "to", onclick: () => { newClipFrom = null; post("add", { start: first[0], end }); } },
      `Add clip ${seconds(first[0])} to ${seconds(end)}`));
  }
  const menu = $("word-menu");
  menu.replaceChildren(
    el("span", { class: "said" }, el("b", { text }), ` at ${seconds(start)}`, original !== null ? ` (heard “${original}”)` : ""),
    ...choices,
    el("form", { class: "fix", onsubmit: (e) => { e.preventDefault(); post("word", { at: start, text: fix.value }); } },
      fix, el("button", { type: "submit", "data-menu": "fix" }, "Fix word")),
    el("button", { type: "button", "data-menu": "close", onclick: closeMenu }, "Close"));
  const box = span.getBoundingClientRect();
  menu.style.top = `${window.scrollY + box.bottom + 6}px`;
  menu.style.left = `${Math.max(8, Math.min(window.scrollX + box.left, window.scrollX + document.documentElement.clientWidth - 420))}px`;
  menu.hidden = false;
}

function closeMenu() {
  menuFor = null;
  $("word-menu").hidden = true;
  document.querySelectorAll(".w.picked").forEach((w) => w.classList.remove("picked"));
}

document.addEventListener("click", (event) => {
  const word = event.target.closest(".w");
  if (word) {
    event.stopPropagation();
    openMenu(word);
  } else if (menuFor && !event.target.closest("#word-menu")) {
    closeMenu();
  }
}, true);

// -- render and its progress ---------------------------------------------------------

async function render() {
  const started = await post("render", {});
  if (started) {
    say("");
    showProgress(started);
    watchRender();
  }
}

function showProgress(report) {
  const box = $("progress");
  box.hidden = false;
  box.dataset.state = report.state;
  const share = report.total ? Math.round((100 * report.done) / report.total) : 0;
  $("meter-fill").style.width = `${report.state === "done" ? 100 : share}%`;
  let line = report.line;
  if (report.state === "done") line = `Rendered: ${report.rendered} clip(s) in ${report.seconds} s.`;
  if (report.state === "failed") line = `The run failed: ${report.errors.join(" ") || report.line}`;
  $("progress-line").textContent = line;
  $("render").disabled = report.state === "running";
}

function watchRender() {
  if (polling) return;
  polling = setInterval(async () => {
    const response = await fetch(`${API}/render`, { headers: { "X-Reelmake-Token": TOKEN } });
    const report = await answer(response);
    if (!report || report.state === "idle") return;
    showProgress(report);
    // A clip that is ready shows at once: its player loads the new file.
    const changed = !lastRender || lastRender.rendered !== report.rendered || lastRender.done !== report.done;
    lastRender = report;
    if (report.state !== "running") {
      clearInterval(polling);
      polling = null;
      lastRender = null;
      await load();
    } else if (changed) {
      await load();
    }
  }, 700);
}

// -- keys --------------------------------------------------------------------------

function focusClip(i) {
  if (!state || !state.clips.length) return;
  current = Math.max(0, Math.min(i, state.clips.length - 1));
  document.querySelectorAll(".clip").forEach((card, k) => card.classList.toggle("current", k === current));
  const card = $(`clip-${current + 1}`);
  if (card) card.scrollIntoView({ block: "nearest", behavior: "smooth" });
}

const KEYS = {
  a: () => act("approve", current),
  r: () => act("reject", current),
  j: () => focusClip(current + 1),
  n: () => focusClip(current + 1),
  k: () => focusClip(current - 1),
  p: () => focusClip(current - 1),
  "[": () => act("start-earlier", current),
  "]": () => act("start-later", current),
  "{": () => act("end-earlier", current),
  "}": () => act("end-later", current),
  u: () => act("up", current),
  d: () => act("down", current),
  t: () => { const box = $(`title-${current}`); if (box) box.focus(); },
  v: () => { const card = $(`clip-${current + 1}`); const video = card && card.querySelector("video"); if (video) (video.paused ? video.play() : video.pause()); },
  R: () => render(),
  "?": () => { $("keys").open = !$("keys").open; },
};

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    closeMenu();
    if (document.activeElement) document.activeElement.blur();
    return;
  }
  if (event.target.closest && event.target.closest("input, textarea, select")) return;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const run = KEYS[event.key];
  if (run && state) {
    event.preventDefault();
    run();
  }
});

$("render").addEventListener("click", () => render());
load();
