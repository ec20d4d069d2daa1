// Hits table: filters (kept in the URL hash, so a filtered view can be shared and reloaded), server-side
// sorting and keyset paging, CSV export of the filtered set.
import { getJSON, h, clear, url, showError } from "./api.js";
import { severityTag, stateTag, tag, time } from "./ui.js";

const FILTER_KEYS = ["range", "since", "until", "rule", "severity", "risk_min", "risk_max", "host", "user", "tool",
  "destination", "status", "suppressed", "q"];
const RANGES = { "24h": 86400000, "7d": 7 * 86400000, "30d": 30 * 86400000 };
const PAGE = 50;

let state = { params: new URLSearchParams(), cursors: [null], page: 0 };
let wired = false;
let facetsLoaded = false;

const form = () => document.getElementById("hit-filters");

// The API's query string: ranges become since/until in epoch ms (datetime-local values are read as UTC).
function apiParams(params) {
  const out = {};
  for (const key of FILTER_KEYS) {
    const value = params.get(key);
    if (value && !["range", "since", "until"].includes(key)) out[key] = value;
  }
  const range = params.get("range");
  if (RANGES[range]) out.since = Date.now() - RANGES[range];
  if (range === "custom") {
    for (const key of ["since", "until"]) {
      const value = params.get(key);
      if (value) out[key] = Date.parse(`${value}Z`);
    }
  }
  out.sort = params.get("sort") || "time";
  out.order = params.get("order") || "desc";
  return out;
}

function fillForm(params) {
  for (const key of FILTER_KEYS) {
    const field = form().elements[key];
    if (field) field.value = params.get(key) || (key === "suppressed" ? "false" : "");
  }
  for (const el of document.querySelectorAll(".ew-custom-time")) el.hidden = params.get("range") !== "custom";
}

function readForm() {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = (form().elements[key].value || "").trim();
    if (value && !(key === "suppressed" && value === "false")) params.set(key, value);
  }
  for (const key of ["sort", "order"]) if (state.params.get(key)) params.set(key, state.params.get(key));
  return params;
}

async function loadFacets() {
  if (facetsLoaded) return;
  const facets = await getJSON("api/facets");
  const rule = form().elements.rule;
  for (const r of facets.rules) rule.append(h("option", { value: r.id }, r.name));
  for (const [name, values] of Object.entries({ hosts: facets.hosts, users: facets.users, tools: facets.tools, destinations: facets.destinations })) {
    const list = clear(document.getElementById(`dl-${name}`));
    for (const v of values) list.append(h("option", { value: v.value }));
  }
  facetsLoaded = true;
}

function row(hit) {
  const tr = h("tr", { class: "ew-row", "data-hit": hit.id, tabindex: "0" },
    h("td", { class: "ew-mono" }, time(hit.event_time_ms)),
    h("td", {}, severityTag(hit.severity), " ", h("span", { title: hit.rule_id }, hit.rule_name)),
    h("td", {}, hit.risk_score === null ? "" : String(hit.risk_score)),
    h("td", {}, hit.source_ip || "", hit.host_name ? h("div", { class: "ew-muted" }, hit.host_name) : null),
    h("td", {}, hit.username || ""),
    h("td", {}, hit.tool || ""),
    h("td", {}, hit.destination || "", hit.destination_port ? `:${hit.destination_port}` : ""),
    h("td", { class: "ew-cmdcell ew-mono", title: hit.command_line || "" }, hit.command_line || ""),
    h("td", {}, stateTag(hit.status), hit.suppressed ? tag("suppressed", "gray") : null));
  const open = () => { location.hash = `hit-${hit.id}`; };
  tr.addEventListener("click", open);
  tr.addEventListener("keydown", (e) => { if (e.key === "Enter") open(); });
  return tr;
}

async function loadPage() {
  const params = apiParams(state.params);
  const query = { ...params, limit: PAGE, cursor: state.cursors[state.page] || "" };
  const body = await getJSON("api/hits", query);
  const tbody = clear(document.getElementById("hits-body"));
  for (const hit of body.items) tbody.append(row(hit));
  if (!body.items.length) tbody.append(h("tr", {}, h("td", { colspan: 9, class: "ew-muted" }, "No hits match these filters.")));
  if (body.count !== null && body.count !== undefined) {
    state.count = `${body.count.toLocaleString()}${body.count_is_lower_bound ? "+" : ""} hit(s) match`;
  }
  document.getElementById("hits-count").textContent = state.count || "";
  state.cursors[state.page + 1] = body.next;
  document.getElementById("pg-next").disabled = !body.next;
  document.getElementById("pg-prev").disabled = state.page === 0;
  document.getElementById("pg-first").disabled = state.page === 0;
  document.getElementById("pg-info").textContent = `Page ${state.page + 1}`;
  document.getElementById("f-export").href = url("api/hits.csv", params);
  for (const button of document.querySelectorAll(".ew-sort")) {
    const active = button.dataset.sort === params.sort;
    button.classList.toggle("ew-sort--active", active);
    button.setAttribute("aria-sort", active ? (params.order === "asc" ? "ascending" : "descending") : "none");
  }
}

function go(params) {
  const query = params.toString();
  location.hash = query ? `hits?${query}` : "hits";
}

function wire() {
  form().addEventListener("submit", (e) => { e.preventDefault(); go(readForm()); });
  form().elements.range.addEventListener("change", () => {
    for (const el of document.querySelectorAll(".ew-custom-time")) el.hidden = form().elements.range.value !== "custom";
  });
  document.getElementById("f-reset").addEventListener("click", () => go(new URLSearchParams()));
  document.getElementById("pg-next").addEventListener("click", () => { state.page += 1; loadPage().catch(showError); });
  document.getElementById("pg-prev").addEventListener("click", () => { state.page = Math.max(0, state.page - 1); loadPage().catch(showError); });
  document.getElementById("pg-first").addEventListener("click", () => { state.page = 0; loadPage().catch(showError); });
  for (const button of document.querySelectorAll(".ew-sort")) {
    button.addEventListener("click", () => {
      const params = readForm();
      const same = (state.params.get("sort") || "time") === button.dataset.sort;
      params.set("sort", button.dataset.sort);
      params.set("order", same && (state.params.get("order") || "desc") === "desc" ? "asc" : "desc");
      go(params);
    });
  }
  wired = true;
}

export async function showHits(params) {
  if (!wired) wire();
  state = { params, cursors: [null], page: 0, count: "" };
  fillForm(params);
  await Promise.all([loadFacets(), loadPage()]);
}
