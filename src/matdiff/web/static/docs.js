// The API page (/docs): the endpoints of /openapi.json with their fields, an example
// body and a button to try it against this server. Served locally, no CDN: it works
// offline, like the rest of matdiff.
"use strict";

const byId = (id) => document.getElementById(id);

function make(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

// The schema a $ref points to, inside the OpenAPI document.
function resolve(spec, schema) {
  let s = schema || {};
  while (s.$ref) s = s.$ref.replace(/^#\//, "").split("/").reduce((o, k) => o[k], spec);
  return s;
}

function typeOf(spec, field) {
  const f = resolve(spec, field);
  if (f.enum) return f.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (f.anyOf) return f.anyOf.map((x) => typeOf(spec, x)).join(" | ");
  if (f.type === "object" && f.additionalProperties) return `{name: ${typeOf(spec, f.additionalProperties)}}`;
  return f.type || "any";
}

// An example body: the required fields and the usual ones, with the page's first example.
const EXAMPLE_VALUES = { expression: "x'*A*x", wrt: "x", answer: "(A + A')*x", variables: {} };

function exampleBody(spec, schema) {
  const body = {};
  for (const [name, field] of Object.entries(schema.properties || {})) {
    if (name in EXAMPLE_VALUES) body[name] = EXAMPLE_VALUES[name];
    else if ((schema.required || []).includes(name)) body[name] = resolve(spec, field).default ?? "";
  }
  return body;
}

function fieldsTable(spec, schema) {
  const table = make("table", {}, make("tr", {}, make("th", { text: "field" }), make("th", { text: "type" }),
    make("th", { text: "default" }), make("th", { text: "meaning" })));
  for (const [name, field] of Object.entries(schema.properties || {})) {
    const f = resolve(spec, field);
    const required = (schema.required || []).includes(name);
    table.append(make("tr", {}, make("td", {}, make("code", { text: name })), make("td", { text: typeOf(spec, field) }),
      make("td", { text: required ? "required" : "default" in f ? JSON.stringify(f.default) : "—" }),
      make("td", { text: f.description || "" })));
  }
  return table;
}

function tryIt(method, path, body) {
  const input = make("textarea", { class: "try-body", rows: "4", spellcheck: "false", "aria-label": `body for ${path}` });
  input.value = body ? JSON.stringify(body, null, 1) : "";
  const out = make("pre", { class: "code try-out" });
  const send = async () => {
    out.textContent = "…";
    try {
      const r = await fetch(path, method === "get" ? {} : {
        method: "POST", headers: { "Content-Type": "application/json" }, body: input.value,
      });
      out.textContent = `${r.status}\n` + JSON.stringify(await r.json(), null, 1);
    } catch (e) {
      out.textContent = "error: " + e;
    }
  };
  const parts = [make("button", { type: "button", class: "primary", text: "Send", onclick: send }), out];
  return method === "get" ? make("div", { class: "try" }, ...parts) : make("div", { class: "try" }, input, ...parts);
}

function endpoint(spec, path, method, op) {
  const box = make("section", { class: "panel endpoint", id: (method + path).replace(/[^a-z]+/gi, "-") });
  box.append(make("h2", {}, make("code", { text: `${method.toUpperCase()} ${path}` }), " ", make("span", { class: "muted", text: op.summary || "" })));
  const content = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
  let body = null;
  if (content) {
    const schema = resolve(spec, content.schema);
    box.append(fieldsTable(spec, schema));
    body = exampleBody(spec, schema);
  }
  box.append(make("details", {}, make("summary", { text: "Try it" }), tryIt(method, path, body)));
  return box;
}

async function main() {
  const target = byId("endpoints");
  let spec;
  try {
    spec = await (await fetch("/openapi.json")).json();
  } catch (e) {
    target.replaceChildren(make("p", { class: "error", text: "could not read /openapi.json: " + e }));
    return;
  }
  target.replaceChildren();
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(methods)) target.append(endpoint(spec, path, method, op));
  }
}

document.addEventListener("DOMContentLoaded", main);
