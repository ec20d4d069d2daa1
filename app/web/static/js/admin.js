// The admin page: one section per concern, each talking to /api/admin/... through api.js (CSRF header,
// relative URLs). Every value from the server, telemetry included, is put in the page as text (h()).
// A 400 answer is {"errors": {field: message}}: each message is shown under its field.
import { getJSON, send, h, clear, notify, showError, fmtTime, ApiError } from "./api.js";

const SECTIONS = ["connection", "rules", "fields", "preview", "exceptions", "offenses", "audit"];
const state = { rules: [], exceptionFields: {}, ruleIds: [] };

// -- small form kit ----------------------------------------------------------------------------------------
function input(name, value, attrs = {}) {
  return h("input", { class: "cds--text-input", name, id: `f-${name}`, value: value ?? "", ...attrs });
}
function select(name, options, value, attrs = {}) {
  const node = h("select", { class: "cds--select-input", name, id: `f-${name}`, ...attrs },
    options.map(([v, label]) => h("option", { value: v, selected: String(v) === String(value ?? "") }, label)));
  return node;
}
function checkbox(name, checked, label, value) {
  return h("label", { class: "ew-check" }, h("input", { type: "checkbox", name, checked: !!checked, value: value ?? label }), " ", label);
}
function item(label, control, errorKey, help) {
  return h("div", { class: "cds--form-item" },
    h("label", { class: "cds--label", for: control.id || undefined }, label), control,
    help ? h("div", { class: "cds--form__helper-text" }, help) : null,
    h("div", { class: "ew-field-error", "data-error-for": errorKey || control.name || "" }));
}
function button(text, kind = "primary", attrs = {}) {
  return h("button", { type: "button", class: `cds--btn cds--btn--${kind} cds--btn--sm`, ...attrs }, text);
}
function showErrors(scope, errors) {
  for (const node of scope.querySelectorAll(".ew-field-error")) node.textContent = "";
  const general = [];
  for (const [key, message] of Object.entries(errors || {})) {
    const slot = scope.querySelector(`.ew-field-error[data-error-for="${CSS.escape(key)}"]`);
    if (slot) slot.textContent = message; else general.push(`${key}: ${message}`);
  }
  if (general.length) notify(general.join("; "));
}
// Sends a change; shows field errors on 400 and returns null, else the answer.
async function save(scope, method, path, body) {
  try {
    const answer = await send(method, path, body);
    showErrors(scope, {});
    return answer;
  } catch (error) {
    if (error instanceof ApiError && error.status === 400 && error.body && error.body.errors) {
      showErrors(scope, error.body.errors);
    } else {
      showError(error);
    }
    return null;
  }
}
const int = (v) => (v === "" || v === null || v === undefined ? v : Number.isInteger(Number(v)) ? Number(v) : v);
const utcInput = (ms) => (ms ? new Date(ms).toISOString().slice(0, 16) : "");
const fromUtcInput = (value) => (value ? `${value}:00Z` : null);
function result(ok, ...children) { return h("div", { class: `ew-result ${ok ? "ew-ok" : "ew-bad"}`, role: "status" }, ...children); }
function table(headers, rows) {
  return h("div", { class: "ew-table-wrap" }, h("table", { class: "cds--data-table cds--data-table--compact ew-table" },
    h("thead", {}, h("tr", {}, headers.map((t) => h("th", {}, t)))), h("tbody", {}, rows)));
}

// -- console connection ------------------------------------------------------------------------------------
async function loadConnection() {
  const root = clear(document.getElementById("section-connection"));
  const data = await getJSON("api/admin/connection");
  const t = data.token;
  const tokenText = t.set ? `An authorized service token is stored (encrypted), set ${fmtTime(t.set_ms)} by ${t.set_by}.`
    : "No token has been entered here.";
  const versions = data.versions.offered
    ? select("api_version", data.versions.offered.map((v) => [v, v]), data.api_version)
    : input("api_version", data.api_version, { placeholder: "20.0" });
  const token = input("token", "", { type: "password", autocomplete: "off", placeholder: t.set ? "enter a new token to replace it" : "authorized service token" });
  const out = h("div", { id: "connection-result" });
  const form = h("form", { class: "ew-form", id: "connection-form" },
    h("p", { class: "ew-wide" }, tokenText, t.platform_token ? " The platform's token (authorized at install) is in use; an entered token is used only without it." : ""),
    item("Authorized service token", token, "token", "Write-only: it is never shown again."),
    item("REST API version", versions, "api_version", data.versions.offered ? "Offered by the console." : `The console did not list its versions (${data.versions.error || "unknown"}).`),
    h("div", { class: "ew-actions ew-wide" }, button("Save", "primary", { id: "connection-save" }), button("Test connection", "tertiary", { id: "connection-test" })),
    h("div", { class: "ew-wide" }, out));
  root.append(h("h2", { class: "ew-subtitle" }, "Console connection"), form);
  form.querySelector("#connection-save").addEventListener("click", async () => {
    const body = { api_version: versions.value };
    if (token.value) body.token = token.value;
    if (await save(form, "PUT", "api/admin/connection", body)) { notify("Connection settings saved.", "success"); loadConnection(); }
  });
  form.querySelector("#connection-test").addEventListener("click", async () => {
    clear(out).append(h("p", {}, "Testing…"));
    const answer = await save(form, "POST", "api/admin/connection/test", token.value ? { token: token.value } : {});
    clear(out);
    if (!answer) return;
    out.append(answer.ok
      ? result(true, `Connected (${answer.tested}): QRadar ${answer.about.external_version || ""} — ${answer.about.release_name || answer.about.build_version || ""}`)
      : result(false, `Connection failed: ${answer.error}`));
  });
}

// -- rules -------------------------------------------------------------------------------------------------
const SCHEDULE = [["interval_minutes", "Interval (minutes)"], ["ingestion_delay_minutes", "Ingestion delay (minutes)"],
  ["first_look_back_minutes", "First-run look-back (minutes)"], ["catch_up_windows", "Catch-up limit (windows per run, 0 = default)"]];

async function loadRules() {
  const root = clear(document.getElementById("section-rules"));
  const [rules, problems] = await Promise.all([getJSON("api/admin/rules"), getJSON("api/admin/errors")]);
  state.rules = rules;
  root.append(h("h2", { class: "ew-subtitle" }, "Rules"));
  if (problems.runs.length) {
    root.append(h("details", { class: "ew-result ew-bad" }, h("summary", {}, `${problems.runs.length} recent run(s) with errors (full text, administrators only)`),
      table(["When", "Rule", "Status", "Error"], problems.runs.map((r) => h("tr", {},
        h("td", {}, fmtTime(r.started_ms)), h("td", { class: "ew-mono" }, r.rule_id), h("td", {}, r.status), h("td", { class: "ew-cmd" }, r.error || ""))))));
  }
  for (const rule of state.rules) {
    const form = h("form", { class: "ew-form", "data-rule": rule.id },
      h("div", { class: "ew-wide" }, h("strong", {}, rule.name), " ", h("span", { class: "ew-mono ew-muted" }, rule.id),
        rule.disabled_reason ? h("div", { class: "ew-field-error" }, rule.disabled_reason) : null),
      item("Enabled", checkbox("enabled", rule.enabled, "run on schedule"), "enabled"),
      SCHEDULE.map(([key, label]) => item(label, input(`${key}`, rule.schedule[key], { type: "number", min: 0, id: `f-${rule.id}-${key}` }), key,
        `File: ${rule.file_schedule[key]}`)),
      h("div", { class: "ew-actions ew-wide" }, button("Save", "primary", { "data-action": "save" }), button("Preview with these settings", "tertiary", { "data-action": "preview" })));
    const values = () => {
      const body = { enabled: form.querySelector('[name="enabled"]').checked };
      for (const [key] of SCHEDULE) body[key] = int(form.querySelector(`[name="${key}"]`).value);
      return body;
    };
    form.querySelector('[data-action="save"]').addEventListener("click", async () => {
      if (await save(form, "PUT", `api/admin/rules/${encodeURIComponent(rule.id)}`, values())) notify(`Rule ${rule.id} saved.`, "success");
    });
    form.querySelector('[data-action="preview"]').addEventListener("click", () => {
      const { enabled, ...settings } = values();
      state.previewSeed = { rule_id: rule.id, settings };
      location.hash = "#preview";
    });
    root.append(h("div", { class: "ew-rule-card" }, form));
  }
}

// -- field mapping -----------------------------------------------------------------------------------------
async function loadFields(discover = false) {
  const root = clear(document.getElementById("section-fields"));
  let data;
  try {
    data = discover ? await send("POST", "api/admin/fields/discover") : await getJSON("api/admin/fields");
  } catch (error) { showError(error); data = await getJSON("api/admin/fields"); }
  const discoverButton = button("Discover from console", "tertiary", { id: "fields-discover" });
  discoverButton.addEventListener("click", () => loadFields(true));
  root.append(h("h2", { class: "ew-subtitle" }, "Field mapping"),
    h("p", {}, "Rules name logical fields; each console names its event properties its own way. Discover reads this console's properties; an override wins."),
    h("div", { class: "ew-actions" }, discoverButton));
  const form = h("form", { id: "fields-form" });
  const options = [["", "(discover)"], ...(data.columns || []).map((c) => [c, c])];
  const rows = data.logical_fields.map((field) => {
    const current = data.overrides[field] || "";
    const control = data.columns ? select(`overrides.${field}`, options, current) : input(`overrides.${field}`, current, { placeholder: "(discover)" });
    return h("tr", {}, h("td", { class: "ew-mono" }, field), h("td", { class: "ew-mono" }, data.mapping ? (data.mapping[field] || "— missing —") : "?"),
      h("td", {}, data.sources ? data.sources[field] : ""), h("td", {}, control, h("div", { class: "ew-field-error", "data-error-for": `overrides.${field}` })));
  });
  form.append(table(["Logical field", "Console property", "How", "Override"], rows));
  const saveButton = button("Save overrides", "primary", { id: "fields-save" });
  saveButton.addEventListener("click", async () => {
    const overrides = {};
    for (const field of data.logical_fields) {
      const value = form.querySelector(`[name="overrides.${field}"]`).value;
      if (value) overrides[field] = value;
    }
    if (await save(form, "PUT", "api/admin/fields", { overrides })) notify("Field overrides saved.", "success");
  });
  form.append(h("div", { class: "ew-actions" }, saveButton));
  for (const problem of data.problems || []) form.prepend(result(false, problem));
  if (data.error) form.prepend(result(false, data.error));
  root.append(form);
}

// -- preview -----------------------------------------------------------------------------------------------
async function loadPreview() {
  const root = clear(document.getElementById("section-preview"));
  if (!state.rules.length) state.rules = await getJSON("api/admin/rules");
  const seed = state.previewSeed || { rule_id: state.rules[0].id, settings: state.rules[0].schedule };
  const now = Date.now();
  const form = h("form", { class: "ew-form", id: "preview-form" },
    item("Rule", select("rule_id", state.rules.map((r) => [r.id, r.id]), seed.rule_id), "rule_id"),
    item("From (UTC)", input("start", utcInput(now - 24 * 3600e3), { type: "datetime-local" }), "start"),
    item("To (UTC)", input("end", utcInput(now - 60e3), { type: "datetime-local" }), "end"),
    SCHEDULE.map(([key, label]) => item(label, input(key, seed.settings[key], { type: "number", min: 0 }), `settings.${key}`)),
    h("div", { class: "ew-actions ew-wide" }, button("Run preview", "primary", { id: "preview-run" }),
      h("span", { class: "ew-muted" }, "Searches the console now; stores nothing.")));
  const progress = h("div", { class: "ew-progress", hidden: true }, h("div", {}));
  const status = h("p", { id: "preview-status", class: "ew-muted" });
  const out = h("div", { id: "preview-result" });
  root.append(h("h2", { class: "ew-subtitle" }, "Preview a rule"), form, progress, status, out);
  form.querySelector("#preview-run").addEventListener("click", async () => {
    const settings = {};
    for (const [key] of SCHEDULE) settings[key] = int(form.querySelector(`[name="${key}"]`).value);
    const body = { rule_id: form.querySelector('[name="rule_id"]').value, start: fromUtcInput(form.querySelector('[name="start"]').value),
      end: fromUtcInput(form.querySelector('[name="end"]').value), settings };
    clear(out);
    let job = await save(form, "POST", "api/admin/preview", body);
    if (!job) return;
    progress.hidden = false;
    while (job.state === "running") {
      const share = job.windows_planned ? Math.min(1, job.windows_searched / job.windows_planned) : 0;
      progress.firstChild.style.width = `${Math.round(share * 100)}%`;
      status.textContent = `Searching: ${job.windows_searched} of ${job.windows_planned} windows…`;
      await new Promise((resolve) => setTimeout(resolve, 700));
      try { job = await getJSON(`api/admin/preview/${job.id}`); } catch (error) { showError(error); return; }
    }
    progress.firstChild.style.width = "100%";
    status.textContent = job.state === "done" ? `Done: ${job.windows_searched} windows searched.` : `Failed: ${job.error}`;
    if (!job.result) return;
    const r = job.result;
    out.append(result(job.state === "done", `Would hit ${r.hits}, would suppress ${r.suppressed}.`,
      Object.keys(r.by_exception).length ? ` By exception: ${Object.entries(r.by_exception).map(([id, n]) => `#${id}: ${n}`).join(", ")}.` : "",
      r.errors.length ? ` Errors: ${r.errors.join("; ")}` : ""));
    out.append(table(["Time", "Source", "User", "Process", "Command line", "Suppressed by"], r.shown.map((hit) => h("tr", {},
      h("td", {}, fmtTime(hit.event_time_ms)), h("td", {}, hit.source_ip || ""), h("td", {}, hit.username || ""),
      h("td", {}, hit.process_image || ""), h("td", { class: "ew-cmd" }, hit.command_line || ""),
      h("td", {}, hit.suppressed ? `#${hit.exception_id}` : "")))));
  });
}

// -- exceptions --------------------------------------------------------------------------------------------
function describe(condition) {
  const value = typeof condition.value === "object" && condition.value ? `${condition.value.field} in set ${condition.value.set}` : String(condition.value);
  return `${condition.field} ${condition.op} ${value}`;
}

function conditionRow(condition, fields) {
  const isSet = condition.field === "reference_set";
  const value = isSet ? (condition.value || {}).set || "" : condition.value ?? "";
  const row = h("div", { class: "ew-condition" },
    h("input", { type: "checkbox", name: "use", checked: condition.checked !== false, "aria-label": "use this condition" }),
    select("field", Object.keys(fields).map((f) => [f, f]), condition.field),
    h("span", { class: "ew-mono ew-muted", "data-op": "" }, fields[condition.field] || ""),
    h("div", {}, input("value", value), isSet ? select("set_field", Object.keys(fields).filter((f) => f !== "reference_set").map((f) => [f, f]), (condition.value || {}).field) : null),
    button("✕", "ghost", { "aria-label": "remove condition", "data-action": "remove" }));
  row.querySelector('[name="field"]').addEventListener("change", (event) => {
    row.replaceWith(conditionRow({ field: event.target.value, value: "" }, fields));
  });
  row.querySelector('[data-action="remove"]').addEventListener("click", () => row.remove());
  return row;
}

function readCondition(row, fields) {
  const field = row.querySelector('[name="field"]').value;
  const raw = row.querySelector('[name="value"]').value;
  const value = field === "reference_set" ? { field: row.querySelector('[name="set_field"]').value, set: raw }
    : field === "destination_port" ? int(raw) : raw;
  return { field, op: fields[field], value };
}

function exceptionForm(spec, existingId) {
  const fields = state.exceptionFields;
  const conditions = h("div", { class: "ew-conditions" }, (spec.conditions || []).map((c) => conditionRow(c, fields)));
  const addCondition = button("Add condition", "ghost");
  addCondition.addEventListener("click", () => conditions.append(conditionRow({ field: "username", value: "" }, fields)));
  const form = h("form", { class: "ew-form", id: "exception-form", "data-exception": existingId || "" },
    existingId ? h("div", { class: "ew-wide" }, exceptionNotes(spec)) : null,
    item("Name", input("name", spec.name), "name"),
    item("Rule", select("rule_id", [["", "every rule"], ...state.ruleIds.map((r) => [r, r])], spec.rule_id || ""), "rule_id"),
    item("Expires (UTC, empty = never)", input("expires", utcInput(spec.expires_ms), { type: "datetime-local" }), "expires"),
    item("Push down into the search", checkbox("push_down", spec.push_down, "the console drops matching events (counted)"), "push_down"),
    h("div", { class: "cds--form-item ew-wide" }, h("label", { class: "cds--label", for: "f-reason" }, "Reason"),
      h("textarea", { class: "cds--text-area", name: "reason", id: "f-reason", rows: 2 }, spec.reason || ""),
      h("div", { class: "ew-field-error", "data-error-for": "reason" })),
    h("div", { class: "ew-wide" }, h("div", { class: "cds--label" }, "Conditions (all must hold)"), conditions, addCondition,
      h("div", { class: "ew-field-error", "data-error-for": "conditions" }),
      ...(spec.conditions || []).map((_, i) => h("div", { class: "ew-field-error", "data-error-for": `conditions.${i}` }))),
    h("div", { class: "ew-actions ew-wide" }, button(existingId ? "Save changes" : "Add exception", "primary", { id: "exception-save" }), button("Cancel", "secondary", { id: "exception-cancel" })));
  form.querySelector("#exception-cancel").addEventListener("click", () => { form.remove(); history.replaceState(null, "", "#exceptions"); });
  form.querySelector("#exception-save").addEventListener("click", async () => {
    const rows = [...conditions.querySelectorAll(".ew-condition")].filter((row) => row.querySelector('[name="use"]').checked);
    // Error slots follow the conditions actually sent.
    for (const slot of form.querySelectorAll('[data-error-for^="conditions."]')) slot.remove();
    rows.forEach((row, i) => row.append(h("div", { class: "ew-field-error", "data-error-for": `conditions.${i}` })));
    const body = { name: form.querySelector('[name="name"]').value, rule_id: form.querySelector('[name="rule_id"]').value || null,
      reason: form.querySelector('[name="reason"]').value, push_down: form.querySelector('[name="push_down"]').checked,
      expires: fromUtcInput(form.querySelector('[name="expires"]').value), conditions: rows.map((row) => readCondition(row, fields)) };
    if (existingId && !body.expires) { delete body.expires; body.expires_ms = null; }
    const saved = await save(form, existingId ? "PUT" : "POST", existingId ? `api/admin/exceptions/${existingId}` : "api/admin/exceptions", body);
    if (saved) { notify(`Exception "${saved.name}" saved.`, "success"); history.replaceState(null, "", "#exceptions"); loadExceptions(); }
  });
  return form;
}

// What a stored exception suppresses, in words, and why it is not applied (a pattern the cost check refuses).
function exceptionNotes(e) {
  return h("div", { class: "ew-exception-notes" },
    e.matches ? h("p", { class: "ew-matches" }, `Matches ${e.matches}.`) : null,
    (e.problems || []).map((p) => h("p", { class: "ew-field-error ew-problem" }, `Not applied: ${p}`)));
}

async function loadExceptions(fromHit) {
  const root = clear(document.getElementById("section-exceptions"));
  const data = await getJSON("api/admin/exceptions", { deleted: "1" });
  state.exceptionFields = data.fields;
  state.ruleIds = data.rules;
  const add = button("Add exception", "primary", { id: "exception-add" });
  const slot = h("div", { id: "exception-editor" });
  add.addEventListener("click", () => clear(slot).append(exceptionForm({ conditions: [{ field: "username", value: "" }] })));
  root.append(h("h2", { class: "ew-subtitle" }, "Tuning exceptions"),
    h("p", {}, "A hit matching an exception is kept and shown as suppressed, never dropped."), h("div", { class: "ew-actions" }, add), slot);
  const rows = data.exceptions.map((e) => {
    const actions = h("div", { class: "ew-row-actions" });
    if (e.state !== "deleted") {
      const edit = button("Edit", "ghost"), expire = button("Expire", "ghost"), remove = button("Delete", "danger--ghost");
      edit.addEventListener("click", () => clear(slot).append(exceptionForm(e, e.id)));
      expire.addEventListener("click", async () => { if (await save(root, "POST", `api/admin/exceptions/${e.id}/expire`)) loadExceptions(); });
      remove.addEventListener("click", async () => { if (await save(root, "DELETE", `api/admin/exceptions/${e.id}`)) loadExceptions(); });
      actions.append(edit, expire, remove);
    }
    const historyButton = button("History", "ghost");
    historyButton.addEventListener("click", async () => {
      const trail = await getJSON(`api/admin/exceptions/${e.id}/history`);
      clear(slot).append(h("h3", { class: "ew-subtitle" }, `History of "${e.name}"`), table(["When", "Who", "Action", "Change"], trail.map((t) => h("tr", {},
        h("td", {}, fmtTime(t.at_ms)), h("td", {}, t.actor), h("td", {}, t.action), h("td", { class: "ew-cmd" }, JSON.stringify(t.detail))))));
    });
    actions.append(historyButton);
    return h("tr", { "data-exception": e.id, "data-state": e.state },
      h("td", {}, e.name), h("td", {}, e.rule_id || "every rule"), h("td", {}, h("ul", { class: "ew-list" }, e.conditions.map((c) => h("li", { class: "ew-mono" }, describe(c)))),
        exceptionNotes(e)),
      h("td", {}, e.reason), h("td", {}, e.author), h("td", {}, e.expires_ms ? fmtTime(e.expires_ms) : "never"),
      h("td", {}, e.state), h("td", {}, `${e.suppressed.hits} hits, ${e.suppressed.pushed_down} events`), h("td", {}, actions));
  });
  root.append(table(["Name", "Rule", "Conditions", "Reason", "Author", "Expires", "State", "Suppressed", ""], rows));
  if (fromHit) {
    try {
      const offered = await getJSON(`api/admin/exceptions/from-hit/${fromHit}`);
      clear(slot).append(h("p", {}, "From hit ", h("strong", {}, `#${offered.hit.id}`), ": ", h("span", { class: "ew-cmd" }, offered.hit.command_line || "")),
        exceptionForm(offered.spec));
    } catch (error) { showError(error); }
  }
}

// -- offenses and retention --------------------------------------------------------------------------------
async function loadOffenses() {
  const root = clear(document.getElementById("section-offenses"));
  const [data, retention] = await Promise.all([getJSON("api/admin/offenses"), getJSON("api/admin/retention")]);
  const s = data.settings;
  const form = h("form", { class: "ew-form", id: "offenses-form" },
    item("Send offense events", checkbox("enabled", s.enabled, "enabled"), "enabled"),
    item("Syslog target host", input("host", data.stored.host || "", { placeholder: data.console_ip || "the console" }), "host"),
    item("Port", input("port", s.port, { type: "number" }), "port"),
    item("Protocol", select("protocol", [["tcp", "TCP"], ["udp", "UDP"], ["tls", "TLS"]], s.protocol), "protocol",
      h("div", { id: "offenses-warnings" })),
    item("Framing", select("framing", [["newline", "newline"], ["octet", "octet counting (RFC 6587)"]], s.framing), "framing"),
    item("Grouping", select("grouping", [["source_user", "source + user"], ["source_tool", "source + tool"], ["source_destination", "source + destination"]], s.grouping), "grouping"),
    item("Group window (minutes)", input("group_window_minutes", s.group_window_minutes, { type: "number" }), "group_window_minutes"),
    item("Rate cap (events per minute)", input("rate_per_minute", s.rate_per_minute, { type: "number" }), "rate_per_minute"),
    h("div", { class: "cds--form-item ew-wide" }, h("div", { class: "cds--label" }, "Rules that raise no offense"),
      h("div", { class: "ew-checks" }, data.rules.map((r) => checkbox("exclude_rules", (s.exclude_rules || []).includes(r), r))),
      h("div", { class: "ew-field-error", "data-error-for": "exclude_rules" })),
    h("div", { class: "ew-actions ew-wide" }, button("Save", "primary", { id: "offenses-save" }), button("Send a test event", "tertiary", { id: "offenses-test" })),
    h("div", { class: "ew-wide", id: "offenses-result" }));
  if (data.error) form.prepend(result(false, data.error));
  // The settings' warnings (plaintext syslog) are about what is saved, so they follow each save.
  const showWarnings = (warnings) => clear(form.querySelector("#offenses-warnings")).append(
    ...(warnings || []).map((w) => h("p", { class: "ew-warning" }, `Warning: ${w}`)));
  showWarnings(data.warnings);
  const values = () => {
    const body = { enabled: form.querySelector('[name="enabled"]').checked };
    for (const key of ["host", "protocol", "framing", "grouping"]) body[key] = form.querySelector(`[name="${key}"]`).value || null;
    for (const key of ["port", "group_window_minutes", "rate_per_minute"]) body[key] = int(form.querySelector(`[name="${key}"]`).value);
    body.exclude_rules = [...form.querySelectorAll('[name="exclude_rules"]')].filter((c) => c.checked).map((c) => c.value);
    return body;
  };
  form.querySelector("#offenses-save").addEventListener("click", async () => {
    const saved = await save(form, "PUT", "api/admin/offenses", values());
    if (saved) { showWarnings(saved.warnings); notify("Offense settings saved.", "success"); }
  });
  form.querySelector("#offenses-test").addEventListener("click", async () => {
    const out = clear(form.querySelector("#offenses-result"));
    out.append(h("p", {}, "Sending and looking for it in QRadar (up to 30 s)…"));
    const answer = await save(form, "POST", "api/admin/offenses/test", values());
    clear(out);
    if (answer) out.append(answer.received ? result(true, `QRadar received the test event (${answer.marker}) from log source ${answer.event.logsource || answer.event.logsourceid}.`)
      : result(false, answer.error || "not received"));
  });
  const retentionForm = h("form", { class: "ew-form", id: "retention-form" },
    item("Keep stored hits (days)", input("days", retention.days, { type: "number", min: 1 }), "days", `Default ${retention.default}.`),
    h("div", { class: "ew-actions ew-wide" }, button("Save", "primary", { id: "retention-save" })));
  retentionForm.querySelector("#retention-save").addEventListener("click", async () => {
    if (await save(retentionForm, "PUT", "api/admin/retention", { days: int(retentionForm.querySelector('[name="days"]').value) })) notify("Retention saved.", "success");
  });
  root.append(h("h2", { class: "ew-subtitle" }, "Offenses"), form, h("h2", { class: "ew-subtitle" }, "Retention"), retentionForm);
}

// -- audit trail -------------------------------------------------------------------------------------------
async function loadAudit() {
  const root = clear(document.getElementById("section-audit"));
  const rows = await getJSON("api/admin/audit", { limit: 200 });
  root.append(h("h2", { class: "ew-subtitle" }, "Audit trail"), table(["When", "Who", "Action", "Setting", "Change"], rows.map((r) => h("tr", {},
    h("td", {}, fmtTime(r.at_ms)), h("td", {}, r.actor), h("td", {}, r.action), h("td", { class: "ew-mono" }, r.target), h("td", { class: "ew-cmd" }, r.detail_json || "")))));
}

// -- routing -----------------------------------------------------------------------------------------------
const LOADERS = { connection: loadConnection, rules: loadRules, fields: () => loadFields(false), preview: loadPreview,
  exceptions: () => loadExceptions(), offenses: loadOffenses, audit: loadAudit };

async function route() {
  const hash = location.hash.slice(1);
  const fromHit = /^exception-from-hit-(\d+)$/.exec(hash);
  const name = fromHit ? "exceptions" : SECTIONS.includes(hash) ? hash : "connection";
  for (const section of document.querySelectorAll(".ew-admin-section")) section.hidden = section.dataset.section !== name;
  for (const link of document.querySelectorAll(".ew-admin-tabs a")) link.classList.toggle("ew-active", link.dataset.section === name);
  for (const link of document.querySelectorAll('[data-nav="admin"]')) link.classList.add("ew-active");
  try {
    await (fromHit ? loadExceptions(fromHit[1]) : LOADERS[name]());
  } catch (error) { showError(error); }
  document.body.dataset.ready = name;     // browser tests wait for this
}

window.addEventListener("hashchange", route);
route();
