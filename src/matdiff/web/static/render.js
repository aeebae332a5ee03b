// Rendering helpers of the matdiff page: elements, typeset math, errors with a caret,
// the steps of a derivation and the numerical check. Plain functions over plain data
// (the JSON the API returns); app.js owns the state and calls them.
"use strict";

const $ = (id) => document.getElementById(id);

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

// Typeset `latex` into `target` (replacing its content), or show `fallbackText`.
// Inline mode with \displaystyle looks like display math but lets KaTeX break the line
// after "=" and top-level "+", so a long result wraps instead of running off the page.
function typeset(target, latex, fallbackText) {
  target.replaceChildren();
  if (latex && window.katex) {
    try {
      window.katex.render("\\displaystyle " + latex, target, { displayMode: false, throwOnError: true, strict: false });
      return true;
    } catch (e) {
      /* fall through to the source */
    }
  }
  target.append(el("div", { class: "fallback", text: fallbackText || latex || "" }));
  return false;
}

// A long equation on a narrow screen: smaller type first (down to 70%), and only then a
// sideways scroll inside its own box (KaTeX cannot break inside parentheses).
function fitWidth(node) {
  const fit = () => {
    node.style.fontSize = "";
    for (let size = 90; node.scrollWidth > node.clientWidth + 1 && size >= 70; size -= 10) {
      node.style.fontSize = size + "%";
    }
  };
  fit();
  if (document.fonts) document.fonts.ready.then(fit); // KaTeX's fonts change the widths
}

function mathSpan(latex, fallbackText) {
  const span = el("span", { class: "eq" });
  typeset(span, latex, fallbackText);
  return span;
}

// The declarations a hint suggests, in the command line's spelling (--var "t: scalar")
// or Python's (variables={'t': 'scalar'}): [[name, declaration], ...].
function suggestedDeclarations(hint) {
  const cli = [...hint.matchAll(/--var "([A-Za-z]\w*): ([^"]+)"/g)].map((m) => [m[1], m[2]]);
  if (cli.length) return cli;
  const py = hint.match(/variables=\{([^{}]*)\}/);
  return py ? [...py[1].matchAll(/'([A-Za-z]\w*)': '([^']+)'/g)].map((m) => [m[1], m[2]]) : [];
}

// A hint for the page: the declarations it suggests become buttons that make them (the
// command line's and Python's spellings of them mean nothing here).
function hintLine(hint, onDeclare) {
  const decls = onDeclare ? suggestedDeclarations(hint) : [];
  if (!decls.length) return el("div", { class: "hint", text: "hint: " + hint });
  const words = hint
    .replace(/ ?\(in Python variables=\{[^{}]*\}\)/, "")
    .replace(/\(?(e\.g\. )?variables=\{[^{}]*\}\)?/, "")
    .replace(/(--var "[^"]+"[ ,]*)+/, "")
    .replace(/\s+/g, " ").replace(/[\s:,]+$/, "").trim();
  const line = el("div", { class: "hint", text: "hint: " + words + ": " });
  for (const [name, decl] of decls) {
    line.append(el("button", { type: "button", class: "declare", text: `declare ${name}: ${decl}`,
      onclick: () => onDeclare(name, decl) }), " ");
  }
  return line;
}

// An error with the offending part of the text marked and a caret under it.
function showError(box, err, input, onDeclare) {
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
  if (err.hint) box.append(hintLine(err.hint, onDeclare));
}

function clearError(box, input) {
  box.hidden = true;
  box.replaceChildren();
  if (input) input.classList.remove("invalid");
}

// A section whose request failed: the error with its hint.
function unavailable(target, r) {
  const err = r.error;
  const hint = err.hint ? " — hint: " + err.hint : "";
  target.replaceChildren(el("p", { class: "unavailable", text: (err.message || "error") + hint }));
}

// The result: typeset (long ones with their repeated parts named, "where s = ..."),
// or its plain text when it cannot be typeset.
function renderResultMath(target, d) {
  let latex = d.latex;
  if (!latex && d.result_latex) latex = d.head_latex + " = " + d.result_latex;
  if (!latex && d.differential_latex) latex = "\\mathrm{d}f = " + d.differential_latex;
  const shownLatex = d.display ? d.display.latex : latex;
  const shown = typeset(target, shownLatex, `${d.head} = ${d.result}`);
  if (shown && d.display) {
    for (const w of d.display.where) {
      target.append(el("div", { class: "where" }, el("span", { class: "muted", text: "where " }),
        mathSpan(`${w.name} = ${w.latex}`, `${w.name} = ${w.text}`)));
    }
  }
  if (!latex) target.append(el("div", { class: "muted small", text: "(LaTeX printer not available yet: plain text shown)" }));
  else if (!shown) target.append(el("div", { class: "muted small", text: "(KaTeX could not typeset this: LaTeX source shown)" }));
  return latex;
}

// The derivation: its introduction, then each section's steps one under another, each
// equation typeset with the rule that justifies it under it.
function renderSteps(target, data) {
  target.replaceChildren();
  const intro = el("div", { class: "steps-intro" });
  for (const line of data.intro || []) {
    if (line.startsWith("f = ") && data.function_latex) intro.append(el("p", {}, mathSpan("f = " + data.function_latex, line)));
    else intro.append(el("p", { text: line }));
  }
  target.append(intro);
  for (const section of data.sections || []) {
    target.append(el("h4", { class: "steps-title", text: section.title }));
    const list = el("ol", { class: "steps-list" });
    for (const s of section.steps) {
      const item = el("li", { class: "step" });
      if (s.latex) item.append(el("div", { class: "step-eq" }, mathSpan(s.latex, s.text)));
      else item.append(el("div", { class: "step-eq step-words", text: s.text }));
      if (s.why) item.append(el("div", { class: "why" }, el("code", { text: s.why })));
      if (s.note) item.append(el("div", { class: "step-note", text: s.note }));
      list.append(item);
    }
    target.append(list);
  }
  for (const line of data.conclusion || []) target.append(el("p", { class: "steps-conclusion", text: line }));
  for (const eq of target.querySelectorAll(".step-eq")) fitWidth(eq);
}

function fmt(x) {
  return x == null ? "—" : Number(x).toPrecision(3);
}

function renderCheck(out, r) {
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
    out.append(el("details", {}, el("summary", { text: `First entries of the last input (of ${s.length})` }), table));
  }
}
