// Small Carbon-styled pieces shared by the tab's views. Text only: every value goes through h().
import { h, fmtTime } from "./api.js";

const SEVERITY_TAG = { critical: "red", high: "magenta", medium: "purple", low: "blue" };
const STATE_TAG = { ok: "green", never: "gray", off: "gray", failing: "red", paused: "red", disabled: "red",
  new: "blue", acknowledged: "gray", escalated: "red", false_positive: "green", noted: "green", sent: "teal",
  pending: "gray", failed: "red", no_offense: "warm-gray", suppressed: "gray", done: "green", running: "teal",
  split: "purple", partial: "magenta" };

export function tag(text, color) {
  return h("span", { class: `cds--tag cds--tag--${color || "gray"} cds--tag--sm ew-tag` }, text);
}

export const severityTag = (severity) => tag(severity || "?", SEVERITY_TAG[severity]);
export const stateTag = (state) => tag(String(state || "").replace("_", " "), STATE_TAG[state]);

export function table(headers, rows, { className = "" } = {}) {
  return h("div", { class: "ew-table-wrap" },
    h("table", { class: `cds--data-table cds--data-table--sm ew-table ${className}` },
      h("thead", {}, h("tr", {}, headers.map((x) => h("th", {}, x)))),
      h("tbody", {}, rows.length ? rows.map((cells) => h("tr", {}, cells.map((c) => h("td", {}, c))))
        : h("tr", {}, h("td", { colspan: headers.length, class: "ew-muted" }, "Nothing here yet.")))));
}

export function keyValues(pairs) {
  const dl = h("dl", { class: "ew-kv" });
  for (const [key, value] of pairs) {
    if (value === undefined || value === null || value === "") continue;
    dl.append(h("dt", {}, key), h("dd", {}, value));
  }
  return dl;
}

export function bulletList(items) {
  return items && items.length ? h("ul", { class: "ew-list" }, items.map((x) => h("li", {}, x))) : h("p", { class: "ew-muted" }, "None.");
}

export const time = (ms) => (ms ? fmtTime(ms) : "");

export function duration(ms) {
  if (ms === null || ms === undefined) return "";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7200000) return `${Math.round(ms / 60000)} min`;
  return `${(ms / 3600000).toFixed(1)} h`;
}

// A link to the hits view with these filters (values are encoded, never interpreted).
export function hitsLink(text, filters) {
  return h("a", { class: "cds--link", href: `#hits?${new URLSearchParams(filters).toString()}` }, text);
}
