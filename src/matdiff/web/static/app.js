// The matdiff page: vanilla JS over the JSON API (no build step).
// State lives in the URL query (expr, wrt, order, layout, structured, var=NAME: DECL,
// tab) so a result can be shared; every change re-derives and rewrites the URL.
"use strict";

const $ = (id) => document.getElementById(id);

const state = {
  expression: "",
  wrt: "",
  order: 1,
  layout: "numerator",
  structured: false,
  decls: {}, // name -> declaration, only for variables the user declared
  tab: "text",
  backend: "numpy",
  variables: [], // from the last /api/variables
  result: null, // the last /api/derivative
  seed: 0,
};

const loaded = {}; // tab -> key of the request its content belongs to
let generation = 0; // newer requests win over older ones that answer late

// ------------------------------------------------------------------ the API

async function api(path, body) {
  let response;
  try {
    response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch (e) {
    return { ok: false, status: 0, error: { message: "cannot reach the matdiff server" } };
  }
  let data = null;
  try {
    data = await response.json();
  } catch (e) {
    data = { error: { message: `unexpected answer from the server (${response.status})` } };
  }
  if (!response.ok) {
    return { ok: false, status: response.status, error: (data && data.error) || { message: "error" } };
  }
  return { ok: true, status: response.status, data };
}

function request(extra) {
  return Object.assign(
    {
      expression: state.expression,
      wrt: state.wrt,
      variables: state.decls,
      order: state.order,
      layout: state.layout,
      structured: state.structured,
    },
    extra || {}
  );
}

const requestKey = () => JSON.stringify(request());

// ---------------------------------------------------------------- rendering

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v === true) e.setAttribute(k, "");
    else if (v !== false && v != null) e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

function typeset(target, latex, fallbackText) {
  target.replaceChildren();
  if (latex && window.katex) {
    try {
      window.katex.render(latex, target, { displayMode: true, throwOnError: true, strict: false });
      return true;
    } catch (e) {
      /* fall through to the source */
    }
  }
  target.append(el("div", { class: "fallback", text: fallbackText || latex || "" }));
  return false;
}

// An error with the offending part of the text marked and a caret under it.
function showError(box, err, input) {
  box.replaceChildren();
  box.hidden = false;
  if (input) input.classList.add("invalid");
  box.append(el("div", { class: "message", text: err.message || "error" }));
  const text = err.text;
  if (text != null && err.column != null && !text.includes("\n")) {
    const start = Math.max(0, Math.min(err.column, text.length));
    const span = err.span || [start, start + 1];
    const end = Math.max(start + 1, Math.min(span[1], text.length + 1));
    const pre = el("div", { class: "caret-text" });
    pre.append(text.slice(0, start), el("mark", { text: text.slice(start, end) || " " }), text.slice(end));
    box.append(pre);
    box.append(el("div", { class: "caret-text caret-line", text: " ".repeat(start) + "^".repeat(end - start) }));
  }
  if (err.hint) box.append(el("div", { class: "hint", text: "hint: " + err.hint }));
}

function clearError(box, input) {
  box.hidden = true;
  box.replaceChildren();
  if (input) input.classList.remove("invalid");
}

// ------------------------------------------------------------------ variables

const PROPS = {
  scalar: ["positive"],
  vector: ["positive", "onehot", "simplex"],
  matrix: ["symmetric", "spd", "diagonal", "orthogonal", "positive"],
};

function declarationOf(row) {
  const kind = row.querySelector("select").value;
  const dims = kind === "scalar" ? [] : row.querySelector("input.dims").value.trim().split(/[\s,×x*]+/).filter(Boolean);
  const props = [...row.querySelectorAll("input.prop-box:checked")].map((b) => b.value);
  return [kind, ...dims, ...props].join(" ");
}

function renderVariables() {
  const body = $("variables").querySelector("tbody");
  body.replaceChildren();
  for (const v of state.variables) {
    const kind = v.kind === "row vector" ? "matrix" : v.kind;
    const row = el("tr", { class: v.declared ? "declared" : "", "data-name": v.name });
    const kindSel = el("select", { "aria-label": `kind of ${v.name}` });
    for (const k of ["scalar", "vector", "matrix"]) {
      kindSel.append(el("option", { value: k, text: k, selected: k === kind }));
    }
    const dims = el("input", {
      class: "dims",
      type: "text",
      value: v.dims.join(" "),
      "aria-label": `size of ${v.name}`,
      title: "sizes, e.g. n or n m",
      hidden: kind === "scalar",
    });
    const props = el("td");
    for (const p of PROPS[kind]) {
      const box = el("input", { type: "checkbox", class: "prop-box", value: p, checked: v.props.includes(p) });
      props.append(el("label", { class: "prop" }, box, " " + p));
    }
    const reset = v.declared
      ? el("button", { class: "reset", type: "button", title: "back to the inferred type", text: "reset",
          onclick: () => { delete state.decls[v.name]; refresh(); } })
      : null;
    row.append(el("td", { class: "name", text: v.name }), el("td", {}, kindSel), el("td", {}, dims), props, el("td", {}, reset));
    const onEdit = () => {
      if (kindSel.value !== kind) {
        // A new kind: its sizes and properties start over.
        state.decls[v.name] = kindSel.value;
      } else {
        state.decls[v.name] = declarationOf(row);
      }
      refresh();
    };
    kindSel.addEventListener("change", onEdit);
    dims.addEventListener("change", onEdit);
    props.addEventListener("change", onEdit);
    body.append(row);
  }
}

function pickWrt(variables) {
  const names = variables.map((v) => v.name);
  if (names.includes(state.wrt)) return state.wrt;
  for (const n of ["x", "X", "w", "W", "z", "t"]) if (names.includes(n)) return n;
  for (const kind of ["vector", "matrix", "scalar"]) {
    const v = variables.find((x) => x.kind === kind);
    if (v) return v.name;
  }
  return names[0] || "";
}

function renderWrt() {
  const sel = $("wrt");
  sel.replaceChildren();
  for (const v of state.variables) {
    sel.append(el("option", { value: v.name, text: v.name, selected: v.name === state.wrt }));
  }
  const w = state.variables.find((v) => v.name === state.wrt);
  const symmetric = w && w.props.some((p) => ["symmetric", "spd", "diagonal"].includes(p));
  $("structured-label").hidden = !symmetric;
  if (!symmetric) state.structured = false;
  $("structured").checked = state.structured;
}

// --------------------------------------------------------------- derivation

function pruneDecls() {
  const names = new Set(state.expression.match(/[A-Za-z][A-Za-z0-9_]*/g) || []);
  for (const k of Object.keys(state.decls)) if (!names.has(k)) delete state.decls[k];
}

async function refresh() {
  const gen = ++generation;
  state.expression = $("expression").value;
  writeUrl();
  if (!state.expression.trim()) {
    clearError($("expr-error"), $("expression"));
    $("result-panel").hidden = true;
    return;
  }
  const vars = await api("/api/variables", { expression: state.expression, variables: state.decls });
  if (gen !== generation) return;
  if (!vars.ok) {
    showError($("expr-error"), vars.error, vars.error.field === "expression" || vars.error.field == null ? $("expression") : null);
    $("result-panel").classList.add("stale");
    return;
  }
  state.variables = vars.data.variables;
  state.wrt = pickWrt(state.variables);
  renderVariables();
  renderWrt();
  writeUrl();
  const res = await api("/api/derivative", request());
  if (gen !== generation) return;
  if (!res.ok) {
    showError($("expr-error"), res.error, res.error.field === "expression" ? $("expression") : null);
    $("result-panel").classList.add("stale");
    return;
  }
  clearError($("expr-error"), $("expression"));
  state.result = res.data;
  renderResult();
}

function renderResult() {
  const d = state.result;
  $("result-panel").hidden = false;
  $("result-panel").classList.remove("stale");
  typeset($("function-math"), d.function_latex ? "f = " + d.function_latex : null, "f = " + d.function);
  let latex = d.latex;
  if (!latex && d.result_latex) latex = d.head_latex + " = " + d.result_latex;
  if (!latex && d.differential_latex) latex = "\\mathrm{d}f = " + d.differential_latex;
  const shown = typeset($("result-math"), latex, `${d.head} = ${d.result}`);
  if (!latex) $("result-math").append(el("div", { class: "muted small", text: "(LaTeX printer not available yet: plain text shown)" }));
  else if (!shown) $("result-math").append(el("div", { class: "muted small", text: "(KaTeX could not typeset this: LaTeX source shown)" }));
  const notes = [`${d.form_note}; ${d.layout_note}.`];
  if (d.space) notes.push(`Derivative ${d.structured ? "on the space of " : ""}${d.space}.`);
  if (d.note) notes.push(d.note + ".");
  if (d.differential && (d.form === "kronecker" || d.form === "index")) notes.push(`Differential: d${d.order > 1 ? "^" + d.order : ""}f = ${d.differential}`);
  $("result-notes").textContent = notes.join(" ");
  $("plain-result").textContent = d.result;
  $("unicode-result").textContent = d.unicode || "";
  $("report").textContent = d.report;
  $("latex-source").textContent = latex || "(the LaTeX printer is not available yet)";
  for (const k of Object.keys(loaded)) delete loaded[k];
  $("answer-out").replaceChildren();
  clearError($("answer-error"), $("answer"));
  showTab(state.tab);
}

// ---------------------------------------------------------------------- tabs

function showTab(name) {
  state.tab = name;
  for (const b of document.querySelectorAll(".tabs button")) {
    b.setAttribute("aria-selected", String(b.dataset.tab === name));
  }
  for (const t of document.querySelectorAll(".tab")) t.hidden = t.id !== "tab-" + name;
  writeUrl();
  if (state.result) loadTab(name);
}

// A section whose request failed: "not available yet" (501) or the error with its hint.
function unavailable(target, r) {
  const err = r.error;
  const hint = err.hint && r.status !== 501 ? " — hint: " + err.hint : "";
  target.replaceChildren(el("p", { class: "unavailable", text: (err.message || "error") + hint }));
}

async function loadTab(name, force) {
  const key = requestKey() + (name === "code" ? state.backend : "") + (name === "check" ? state.seed : "");
  if (!force && loaded[name] === key) return;
  loaded[name] = key;
  const gen = generation;
  if (name === "code") {
    $("code").textContent = "generating…";
    const r = await api("/api/code", request({ backend: state.backend }));
    if (gen !== generation || loaded[name] !== key) return;
    $("code").textContent = r.ok ? r.data.code : (r.status === 501 ? r.error.message : "error: " + r.error.message);
  } else if (name === "steps") {
    $("steps-note").replaceChildren(el("p", { class: "busy", text: "deriving…" }));
    $("steps-text").textContent = "";
    $("steps-math").replaceChildren();
    const r = await api("/api/steps", request());
    if (gen !== generation || loaded[name] !== key) return;
    $("steps-note").replaceChildren();
    if (!r.ok) {
      unavailable($("steps-note"), r);
      $("steps-latex-box").hidden = true;
      return;
    }
    $("steps-text").textContent = r.data.text;
    $("steps-latex-box").hidden = !r.data.latex;
    if (r.data.latex) typeset($("steps-math"), r.data.latex, r.data.latex);
  } else if (name === "check") {
    $("check-out").replaceChildren(el("p", { class: "busy", text: "checking…" }));
    const r = await api("/api/check", request({ seed: state.seed }));
    if (gen !== generation || loaded[name] !== key) return;
    renderCheck(r);
  }
}

function fmt(x) {
  return x == null ? "—" : Number(x).toPrecision(3);
}

function renderCheck(r) {
  const out = $("check-out");
  out.replaceChildren();
  if (!r.ok) {
    unavailable(out, r);
    return;
  }
  const c = r.data;
  const sizes = Object.entries(c.sizes).map(([k, v]) => `${k} = ${v}`).join(", ") || "—";
  const box = el("div", { class: "verdict " + (c.passed ? "good" : "bad") },
    el("p", { class: "title", text: (c.passed ? "✓ " : "✗ ") + c.message }),
    el("p", { text: `sizes: ${sizes}; result shape (${c.shape.join(", ")}); seed ${c.seed}` }),
    el("p", { text: `largest difference ${fmt(c.max_abs_error)} (relative ${fmt(c.max_rel_error)}), tolerance rtol ${c.rtol}` }));
  out.append(box);
  if (c.symbolic != null && c.numeric != null) {
    const flat = (a) => (Array.isArray(a) ? a.flat(Infinity) : [a]);
    const s = flat(c.symbolic), n = flat(c.numeric);
    const table = el("table", { class: "numbers" }, el("tr", {}, el("th", { text: "symbolic" }), el("th", { text: "finite differences" })));
    for (let i = 0; i < Math.min(s.length, 8); i++) {
      table.append(el("tr", {}, el("td", { text: String(s[i]) }), el("td", { text: String(n[i]) })));
    }
    out.append(el("details", {}, el("summary", { text: `First entries (of ${s.length})` }), table));
  }
}

async function checkAnswer() {
  const answer = $("answer").value;
  clearError($("answer-error"), $("answer"));
  const out = $("answer-out");
  if (!answer.trim()) return;
  out.replaceChildren(el("p", { class: "busy", text: "checking…" }));
  const r = await api("/api/check-answer", request({ answer }));
  out.replaceChildren();
  if (!r.ok) {
    if (r.status === 501) unavailable(out, r);
    else showError($("answer-error"), r.error, r.error.field === "answer" ? $("answer") : null);
    return;
  }
  const v = r.data;
  const box = el("div", { class: "verdict " + (v.correct ? "good" : "bad") },
    el("p", { class: "title", text: v.correct ? "✓ Correct" : "✗ Not quite" }));
  if (v.message) box.append(el("p", { text: v.message }));
  if (v.pitfall) box.append(el("p", { text: "Pitfall: " + v.pitfall.replaceAll("-", " ") }));
  if (v.condition) box.append(el("p", { text: "Right when: " + v.condition }));
  out.append(box);
}

// ------------------------------------------------------------ URL and wiring

function writeUrl() {
  const q = new URLSearchParams();
  if (state.expression) q.set("expr", state.expression);
  if (state.wrt) q.set("wrt", state.wrt);
  if (state.order !== 1) q.set("order", String(state.order));
  if (state.layout !== "numerator") q.set("layout", state.layout);
  if (state.structured) q.set("structured", "1");
  for (const [k, v] of Object.entries(state.decls)) q.append("var", `${k}: ${v}`);
  if (state.tab !== "text") q.set("tab", state.tab);
  const url = location.pathname + (q.toString() ? "?" + q.toString() : "");
  if (url !== location.pathname + location.search) history.replaceState(null, "", url);
}

function readUrl() {
  const q = new URLSearchParams(location.search);
  state.expression = q.get("expr") || "x'*A*x";
  state.wrt = q.get("wrt") || "";
  state.order = Math.min(4, Math.max(1, parseInt(q.get("order") || "1", 10) || 1));
  state.layout = q.get("layout") === "denominator" ? "denominator" : "numerator";
  state.structured = q.get("structured") === "1";
  state.tab = q.get("tab") || "text";
  if (!document.querySelector(`.tabs button[data-tab="${state.tab}"]`)) state.tab = "text";
  state.decls = {};
  for (const v of q.getAll("var")) {
    const i = v.indexOf(":");
    if (i > 0) state.decls[v.slice(0, i).trim()] = v.slice(i + 1).trim();
  }
  $("expression").value = state.expression;
  $("order").value = String(state.order);
  document.querySelector(`input[name="layout"][value="${state.layout}"]`).checked = true;
}

async function loadExamples() {
  let examples = [];
  try {
    examples = (await (await fetch("/api/examples")).json()).examples;
  } catch (e) {
    return;
  }
  for (const ex of examples) {
    $("examples").append(el("button", {
      type: "button", text: ex.expression, title: `d/d${ex.wrt}`,
      onclick: () => {
        $("expression").value = ex.expression;
        state.decls = Object.assign({}, ex.variables);
        state.wrt = ex.wrt;
        state.order = 1;
        $("order").value = "1";
        state.structured = false;
        refresh();
      },
    }));
  }
}

function copyFrom(id, button) {
  const text = $(id).textContent;
  const done = () => { button.textContent = "Copied"; setTimeout(() => (button.textContent = "Copy"), 1200); };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, () => fallbackCopy(id, done));
  } else fallbackCopy(id, done);
}

function fallbackCopy(id, done) {
  const range = document.createRange();
  range.selectNodeContents($(id));
  const sel = getSelection();
  sel.removeAllRanges();
  sel.addRange(range);
  try { document.execCommand("copy"); done(); } catch (e) { /* selected for the user */ }
}

function debounce(fn, ms) {
  let t = null;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

function init() {
  readUrl();
  const later = debounce(() => { pruneDecls(); refresh(); }, 350);
  $("expression").addEventListener("input", later);
  $("expression").addEventListener("keydown", (e) => { if (e.key === "Enter") { pruneDecls(); refresh(); } });
  $("go").addEventListener("click", () => { pruneDecls(); refresh(); });
  $("wrt").addEventListener("change", () => { state.wrt = $("wrt").value; state.structured = false; refresh(); });
  $("order").addEventListener("change", () => { state.order = parseInt($("order").value, 10); refresh(); });
  for (const r of document.querySelectorAll('input[name="layout"]')) {
    r.addEventListener("change", () => { state.layout = r.value; refresh(); });
  }
  $("structured").addEventListener("change", () => { state.structured = $("structured").checked; refresh(); });
  for (const b of document.querySelectorAll(".tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));
  for (const r of document.querySelectorAll('input[name="backend"]')) {
    r.addEventListener("change", () => { state.backend = r.value; loadTab("code"); });
  }
  for (const b of document.querySelectorAll("button.copy")) b.addEventListener("click", () => copyFrom(b.dataset.copy, b));
  $("run-check").addEventListener("click", () => { state.seed += 1; loadTab("check"); });
  $("check-answer").addEventListener("click", checkAnswer);
  $("answer").addEventListener("keydown", (e) => { if (e.key === "Enter") checkAnswer(); });
  loadExamples();
  refresh();
}

document.addEventListener("DOMContentLoaded", init);
