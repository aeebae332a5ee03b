// The matdiff page: vanilla JS over the JSON API (no build step); render.js holds the
// rendering helpers ($, el, typeset, showError, renderSteps, renderCheck).
// State lives in the URL query (expr, wrt, order, layout, structured, var=NAME: DECL,
// tab, hide) so a result can be shared; every change re-derives and rewrites the URL.
//
// Declarations and options follow the expression: when a new expression gives a
// declared name another role (log(det(X)) -> X*w: X was square, now it is the data), its
// declaration is dropped, and a chosen "by" in that case goes back to the variable a
// person would pick (the server's suggested_wrt); the answer box belongs to one
// (expression, by, order) and is emptied when they change.
"use strict";

const state = {
  expression: null, // the expression the page shows (null before the first refresh)
  wrt: "",
  wrtChosen: false, // the user (or the URL, or an example) picked "by"
  order: 1,
  layout: "numerator",
  structured: false,
  decls: {}, // name -> declaration, only for variables the user declared
  tab: "text",
  backend: "numpy",
  variables: [], // from the last /api/variables
  roles: null, // name -> kind and squareness inferred without declarations
  result: null, // the last /api/derivative
  seed: 0,
  hide: false, // test yourself: the result stays hidden until answered
  revealed: false,
  answerFor: null, // the (expression, by, order) the answer box belongs to
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
const questionKey = () => JSON.stringify([state.expression, state.wrt, state.order]);

// ------------------------------------------------------------------ variables

const PROPS = {
  scalar: ["positive"],
  vector: ["positive", "onehot", "simplex"],
  // onehot / simplex on a matrix hold for each column (a batch of labels)
  matrix: ["symmetric", "spd", "diagonal", "orthogonal", "positive", "onehot", "simplex"],
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


// -------------------------------------------------------------------- "by"

function renderWrt() {
  const sel = $("wrt");
  sel.replaceChildren();
  for (const v of state.variables) {
    sel.append(el("option", { value: v.name, text: v.name, selected: v.name === state.wrt }));
  }
  $("wrt-hint").textContent = state.wrtChosen || state.variables.length < 2
    ? "" : `the parameter, not the data, by default: pick another variable here`;
  const w = state.variables.find((v) => v.name === state.wrt);
  const symmetric = w && w.props.some((p) => ["symmetric", "spd", "diagonal"].includes(p));
  $("structured-label").hidden = !symmetric;
  if (!symmetric) state.structured = false;
  $("structured").checked = state.structured;
}

// ------------------------------------------------- declarations follow the expression

function pruneDecls() {
  const names = new Set(state.expression.match(/[A-Za-z][A-Za-z0-9_]*/g) || []);
  const dropped = [];
  for (const k of Object.keys(state.decls)) {
    if (!names.has(k)) { dropped.push(k); delete state.decls[k]; }
  }
  return dropped;
}

function rolesOf(variables) {
  const roles = {};
  for (const v of variables) {
    const square = v.dims.length === 2 && v.dims[0] === v.dims[1];
    roles[v.name] = v.kind + (square ? " square" : "");
  }
  return roles;
}

// A new expression (its variables are not the old ones): drop the declarations of names
// that are gone or play another role (X square in log(det(X)), the data in X*w), and a
// chosen "by" (with "on symmetric matrices") in the same case. An edit that keeps the
// variables (x'*A*x -> x'*A) keeps everything; the order and layout always stay.
// Returns a note saying what was reset.
async function followExpression(before) {
  const dropped = pruneDecls();
  const notes = [];
  const free = await api("/api/variables", { expression: state.expression, variables: {} });
  if (free.ok) {
    const roles = rolesOf(free.data.variables);
    const sameNames = before && Object.keys(roles).sort().join() === Object.keys(before).sort().join();
    if (before && !sameNames) {
      for (const name of Object.keys(state.decls)) {
        if (roles[name] !== before[name]) { dropped.push(name); delete state.decls[name]; }
      }
      if (state.wrtChosen && roles[state.wrt] !== before[state.wrt]) {
        notes.push(`"by" back to the default`);
        state.wrtChosen = false;
        state.structured = false;
      }
    }
    state.roles = roles;
  }
  if (dropped.length) notes.unshift(`the declarations of ${dropped.join(", ")} were dropped`);
  return notes.length ? "New expression: " + notes.join("; ") + "." : "";
}

// A declaration an error's hint suggested (t: scalar where t*x needs it).
function declare(name, decl) {
  state.decls[name] = decl;
  refresh();
}

// ---------------------------------------------------------------- derivation

async function refresh(options) {
  const gen = ++generation;
  const expression = $("expression").value;
  const changed = expression !== state.expression;
  const before = state.expression === null ? null : state.roles;
  state.expression = expression;
  writeUrl();
  if (!expression.trim()) {
    clearError($("expr-error"), $("expression"));
    $("result-panel").hidden = true;
    return;
  }
  if (changed) {
    const first = !!(options && options.first);
    const note = await followExpression(first ? null : before);
    if (gen !== generation) return;
    $("reset-note").textContent = note;
    $("reset-note").hidden = !note;
  }
  const vars = await api("/api/variables", { expression, variables: state.decls });
  if (gen !== generation) return;
  if (!vars.ok) {
    showError($("expr-error"), vars.error, vars.error.field === "expression" || vars.error.field == null ? $("expression") : null, declare);
    $("result-panel").classList.add("stale"); // still typing: the last result, faded
    return;
  }
  state.variables = vars.data.variables;
  if (!state.wrtChosen || !state.variables.some((v) => v.name === state.wrt)) {
    state.wrt = vars.data.suggested_wrt || (state.variables[0] || {}).name || "";
    state.wrtChosen = false;
  }
  renderVariables();
  renderWrt();
  writeUrl();
  const res = await api("/api/derivative", request());
  if (gen !== generation) return;
  if (!res.ok) {
    // No old result under the error: it belongs to other options or another expression.
    showError($("expr-error"), res.error, res.error.field === "expression" ? $("expression") : null, declare);
    $("result-panel").hidden = true;
    state.result = null;
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
  renderTraps($("trap-note"), d.traps || []);
  const latex = renderResultMath($("result-math"), d);
  fitWidth($("result-math"));
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
  if (state.answerFor !== questionKey()) {
    // Another question: the old answer and its verdict do not belong to it.
    state.answerFor = questionKey();
    state.revealed = false;
    $("answer").value = "";
    $("answer-out").replaceChildren();
    clearError($("answer-error"), $("answer"));
  }
  applyHidden();
  showTab(state.tab);
}

// A typing trap (parse/traps.py): f is not a scalar only because a name's first letter
// made it a vector; say so, with a button for each declaration that makes f a scalar.
function renderTraps(box, traps) {
  box.replaceChildren();
  box.hidden = !traps.length;
  for (const t of traps) {
    const line = el("p", { text: `Note: ${t.message}. For a scalar f: ` });
    t.declarations.forEach((decl, i) => {
      line.append(el("button", { type: "button", class: "declare", text: `declare ${decl}`,
        onclick: () => declare(t.names[i], "scalar") }), " ");
    });
    box.append(line);
  }
}

// ------------------------------------------------------------- test yourself

function hidden() {
  return state.hide && !state.revealed;
}

// While hidden only the function and the "Check my answer" tab are shown.
function applyHidden() {
  const h = hidden();
  $("result-panel").classList.toggle("quiz", h);
  $("hidden-note").hidden = !h;
  for (const b of document.querySelectorAll(".tabs button")) b.hidden = h && b.dataset.tab !== "answer";
  if (h && state.tab !== "answer") state.tab = "answer";
}

function reveal() {
  state.revealed = true;
  applyHidden();
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

async function loadTab(name, force) {
  const key = requestKey() + (name === "code" ? state.backend : "") + (name === "check" ? state.seed : "");
  if (!force && loaded[name] === key) return;
  loaded[name] = key;
  const gen = generation;
  if (name === "code") {
    $("code").textContent = "generating…";
    const r = await api("/api/code", request({ backend: state.backend }));
    if (gen !== generation || loaded[name] !== key) return;
    $("code").textContent = r.ok ? r.data.code : "error: " + r.error.message;
  } else if (name === "steps") {
    $("steps-note").replaceChildren(el("p", { class: "busy", text: "deriving…" }));
    $("steps-text").textContent = "";
    $("steps-view").replaceChildren();
    const r = await api("/api/steps", request());
    if (gen !== generation || loaded[name] !== key) return;
    $("steps-note").replaceChildren();
    if (!r.ok) {
      unavailable($("steps-note"), r);
      return;
    }
    $("steps-text").textContent = r.data.text;
    if (r.data.sections) renderSteps($("steps-view"), r.data);
    $("steps-text-box").open = !r.data.sections;
  } else if (name === "check") {
    $("check-out").replaceChildren(el("p", { class: "busy", text: "checking…" }));
    const r = await api("/api/check", request({ seed: state.seed }));
    if (gen !== generation || loaded[name] !== key) return;
    renderCheck($("check-out"), r);
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
    showError($("answer-error"), r.error, r.error.field === "answer" ? $("answer") : null);
    return;
  }
  const v = r.data;
  // While the result is hidden, a verdict must not give it away.
  const mask = (text) => (hidden() && state.result ? text.split(state.result.result).join("[the derivative]") : text);
  const box = el("div", { class: "verdict " + (v.correct ? "good" : "bad") },
    el("p", { class: "title", text: v.correct ? "✓ Correct" : "✗ Not quite" }));
  if (v.message) box.append(el("p", { text: mask(v.message) }));
  if (v.pitfall) box.append(el("p", { text: "Pitfall: " + v.pitfall.replaceAll("-", " ") }));
  if (v.condition) box.append(el("p", { text: "Right when: " + mask(v.condition) }));
  out.append(box);
  if (v.correct && hidden()) reveal();
}

// ------------------------------------------------------------ URL and wiring

function writeUrl() {
  const q = new URLSearchParams();
  if (state.expression) q.set("expr", state.expression);
  if (state.wrt && state.wrtChosen) q.set("wrt", state.wrt);
  if (state.order !== 1) q.set("order", String(state.order));
  if (state.layout !== "numerator") q.set("layout", state.layout);
  if (state.structured) q.set("structured", "1");
  for (const [k, v] of Object.entries(state.decls)) q.append("var", `${k}: ${v}`);
  if (state.tab !== "text") q.set("tab", state.tab);
  if (state.hide) q.set("hide", "1");
  // spaces as %20, not "+": a "+" in the address is the plus of the expression
  const query = q.toString().replace(/\+/g, "%20");
  const url = location.pathname + (query ? "?" + query : "");
  if (url !== location.pathname + location.search) history.replaceState(null, "", url);
}

function readUrl() {
  // A "+" typed in the address (/?expr=1 + exp(x)) is the expression's plus, not a
  // form-encoded space: read it as %2B.
  const q = new URLSearchParams(location.search.replace(/\+/g, "%2B"));
  $("expression").value = q.get("expr") || "x'*A*x";
  state.wrt = q.get("wrt") || "";
  state.wrtChosen = !!state.wrt;
  state.order = Math.min(4, Math.max(1, parseInt(q.get("order") || "1", 10) || 1));
  state.layout = ["denominator", "strict"].includes(q.get("layout")) ? q.get("layout")
    : "numerator";
  state.structured = q.get("structured") === "1";
  state.tab = q.get("tab") || "text";
  if (!document.querySelector(`.tabs button[data-tab="${state.tab}"]`)) state.tab = "text";
  state.hide = q.get("hide") === "1";
  state.decls = {};
  for (const v of q.getAll("var")) {
    const i = v.indexOf(":");
    if (i > 0) state.decls[v.slice(0, i).trim()] = v.slice(i + 1).trim();
  }
  $("order").value = String(state.order);
  $("hide-result").checked = state.hide;
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
        // An example is a fresh start: its own declarations, "by" and options.
        $("expression").value = ex.expression;
        state.expression = null;
        state.decls = Object.assign({}, ex.variables);
        state.wrt = ex.wrt;
        state.wrtChosen = true;
        state.order = 1;
        $("order").value = "1";
        state.structured = false;
        $("reset-note").hidden = true;
        refresh({ first: true });
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
  const later = debounce(() => refresh(), 350);
  $("expression").addEventListener("input", later);
  $("expression").addEventListener("keydown", (e) => { if (e.key === "Enter") refresh(); });
  $("go").addEventListener("click", () => refresh());
  $("wrt").addEventListener("change", () => {
    state.wrt = $("wrt").value;
    state.wrtChosen = true;
    state.structured = false;
    refresh();
  });
  $("order").addEventListener("change", () => { state.order = parseInt($("order").value, 10); refresh(); });
  for (const r of document.querySelectorAll('input[name="layout"]')) {
    r.addEventListener("change", () => { state.layout = r.value; refresh(); });
  }
  $("structured").addEventListener("change", () => { state.structured = $("structured").checked; refresh(); });
  $("hide-result").addEventListener("change", () => {
    state.hide = $("hide-result").checked;
    state.revealed = false;
    if (state.hide) state.tab = "answer";
    applyHidden();
    showTab(state.tab);
  });
  $("show-result").addEventListener("click", reveal);
  for (const b of document.querySelectorAll(".tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));
  for (const r of document.querySelectorAll('input[name="backend"]')) {
    r.addEventListener("change", () => { state.backend = r.value; loadTab("code"); });
  }
  for (const b of document.querySelectorAll("button.copy")) b.addEventListener("click", () => copyFrom(b.dataset.copy, b));
  $("run-check").addEventListener("click", () => { state.seed += 1; loadTab("check"); });
  $("check-answer").addEventListener("click", checkAnswer);
  $("answer").addEventListener("keydown", (e) => { if (e.key === "Enter") checkAnswer(); });
  loadExamples();
  refresh({ first: true });
}

document.addEventListener("DOMContentLoaded", init);
