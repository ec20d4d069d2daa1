// One hit: the full (masked) command line, enrichment with reasons, the rule's investigation guide, the
// other events of the same process, the offense it joined, the Log Activity pivot, and triage.
import { getJSON, send, h, clear, notify, showError } from "./api.js";
import { table, keyValues, bulletList, severityTag, stateTag, tag, time } from "./ui.js";

const ACTION_LABEL = { acknowledged: "Acknowledged", false_positive: "False positive", escalated: "Escalated", new: "Reopened" };

function section(title, ...children) {
  return h("section", { class: "ew-section" }, h("h2", { class: "ew-subtitle" }, title), ...children);
}

function yesNo(value) { return value === true ? "yes" : value === false ? "no" : ""; }

function enrichmentSection(e) {
  const tool = e.tool || {};
  const dest = e.destination || {};
  const asset = e.asset || {};
  const risk = e.risk || {};
  const attack = e.attack || {};
  const service = dest.service ? `${dest.service.name} (${dest.service.category})` : "";
  return section("Enrichment",
    h("h3", { class: "ew-h3" }, "Why it fired"), bulletList(e.indicators || []),
    h("h3", { class: "ew-h3" }, `Risk ${risk.score ?? ""} of 100`),
    bulletList((risk.reasons || []).map((r) => (typeof r === "object" && r ? `${r.points > 0 ? "+" : ""}${r.points} ${r.reason}` : String(r)))),
    keyValues([
      ["Tool", tool.name], ["Tool image", tool.image], ["Renamed binary", tool.renamed ? `yes (original ${tool.original_file_name || "?"})` : ""],
      ["Protocol", e.protocol], ["Credentials on the command line", (e.credentials || []).map((c) => c.kind).join(", ")],
      ["Destination host", dest.hostname], ["Destination IP", dest.ip], ["Destination port", dest.port],
      ["Public destination", yesNo(dest.public)], ["Known service", service],
      ["First seen from this host", dest.first_seen_ms ? time(dest.first_seen_ms) : (dest.first_seen === true ? "yes" : "")],
      ["Asset", asset.hostname], ["Asset owner", asset.owner], ["Asset criticality", asset.criticality],
      ["Allowlisted", Array.isArray(e.allowlisted) ? e.allowlisted.join(", ") : (e.allowlisted ? JSON.stringify(e.allowlisted) : "")],
      ["ATT&CK", [attack.technique, attack.subtechnique, attack.tactic].filter(Boolean).join(" · ")],
      ["Enrichment", e.state === "partial" ? `partial: ${(e.errors || []).join("; ")} (completed automatically when the lookups work again)` : e.state],
    ]));
}

function guideSection(rule) {
  if (!rule) return section("Investigation guide", h("p", { class: "ew-muted" }, "The rule of this hit is no longer installed."));
  return section(`Investigation guide: ${rule.name}`,
    h("div", { class: "ew-guide" },
      h("h3", { class: "ew-h3" }, "Triage"), bulletList(rule.guide.triage),
      h("h3", { class: "ew-h3" }, "Known false positives"), bulletList(rule.guide.false_positives),
      h("h3", { class: "ew-h3" }, "Response"), bulletList(rule.guide.response)));
}

function processSection(hit) {
  const p = (hit.enrichment || {}).process || {};
  return section("Process and related events",
    keyValues([["Parent image", p.parent_image], ["Parent command line", p.parent_command_line ? h("pre", { class: "ew-cmd" }, p.parent_command_line) : ""],
      ["Process", hit.process_image], ["Process GUID", hit.process_guid],
      ["Command line from", p.source === "correlated" ? "the process creation event of the same GUID" : p.source ? "this event" : ""]]),
    h("h3", { class: "ew-h3" }, "Other hits of the same process"),
    table(["Time (UTC)", "Event", "Rule", "Destination", "Command line"],
      (hit.same_process || []).map((o) => [h("a", { class: "cds--link", href: `#hit-${o.id}` }, time(o.event_time_ms)),
        o.event_id || "", o.rule_name, `${o.destination || ""}${o.destination_port ? `:${o.destination_port}` : ""}`,
        h("span", { class: "ew-mono" }, o.command_line || "")])));
}

function offenseSection(hit) {
  const o = hit.offense;
  const pivot = hit.pivot;
  return section("Offense and console",
    o ? keyValues([["Offense group", `#${o.group_id} (${o.grouping.replace("_", " + ")}, ${o.hit_count} hit(s))`],
      ["Status", stateTag(o.status)], ["QRadar offense", o.offense_id ? String(o.offense_id) : "not created yet"],
      ["Sent", time(o.sent_ms)]])
      : h("p", { class: "ew-muted" }, hit.suppressed ? "Suppressed hits raise no offense." : "Not part of an offense (yet, or its rule is excluded from offenses)."),
    pivot ? h("div", {},
      h("p", {}, h("a", { class: "cds--link", id: "pivot-link", href: pivot.url, target: "_blank", rel: "noopener noreferrer" },
        "Open this host's events around this time in Log Activity")),
      h("pre", { class: "ew-cmd ew-muted" }, pivot.aql)) : null);
}

function triageSection(hit, rerender) {
  const reason = h("textarea", { class: "cds--text-area", id: "triage-reason", rows: "2", maxlength: "1000",
    placeholder: "Reason (required for a false positive)" });
  const button = (action, label, kind) => {
    const b = h("button", { type: "button", class: `cds--btn cds--btn--${kind} cds--btn--sm`, "data-action": action }, label);
    b.addEventListener("click", async () => {
      try {
        const updated = await send("POST", `api/hits/${hit.id}/triage`, { action, reason: reason.value });
        notify(`Hit ${hit.id}: ${ACTION_LABEL[updated.status] || updated.status}`, "success");
        rerender(updated);
      } catch (error) { showError(error); }
    });
    return b;
  };
  // Only administrators may add exceptions (the admin page checks again): others are not shown a dead end.
  const offerException = hit.status === "false_positive" && hit.viewer_is_admin
    ? h("p", { id: "exception-offer" }, "You can turn this false positive into a tuning exception: ",
      h("a", { class: "cds--link", href: `admin#exception-from-hit-${hit.id}` }, "create an exception from this hit"), ".")
    : null;
  return section("Triage",
    h("p", {}, "State: ", stateTag(hit.status),
      hit.triage_by ? ` by ${hit.triage_by} at ${time(hit.triage_ms)}` : "", hit.triage_reason ? ` — ${hit.triage_reason}` : ""),
    h("div", { class: "cds--form-item" }, h("label", { class: "cds--label", for: "triage-reason" }, "Reason"), reason),
    h("div", { class: "ew-actions" }, button("acknowledge", "Acknowledge", "secondary"),
      button("false_positive", "False positive", "secondary"), button("escalate", "Escalate", "danger"),
      hit.status !== "new" ? button("reopen", "Reopen", "ghost") : null),
    offerException,
    h("h3", { class: "ew-h3" }, "History"),
    h("div", { id: "triage-history" }, table(["When (UTC)", "Who", "Action", "Reason"],
      (hit.triage_history || []).map((t) => [time(t.at_ms), t.actor, ACTION_LABEL[t.action] || t.action, t.reason || ""]))));
}

function render(hit) {
  const root = clear(document.getElementById("hit-detail"));
  root.dataset.hit = hit.id;
  const rule = hit.rule || {};
  root.append(
    h("h1", { class: "ew-title" }, `Hit ${hit.id}: `, rule.name || hit.rule_id),
    h("p", {}, severityTag(rule.severity), " ", tag(`risk ${hit.risk_score ?? "?"}`, "cool-gray"), " ", stateTag(hit.status),
      hit.suppressed ? h("span", {}, " ", tag("suppressed", "gray"), ` by exception #${hit.exception_id}`) : null),
    keyValues([["Time (UTC)", time(hit.event_time_ms)], ["Host", hit.source_ip], ["Host name", hit.host_name],
      ["User", hit.username], ["Destination", `${hit.destination_ip || ""}${hit.destination_port ? `:${hit.destination_port}` : ""}`],
      ["Event ID", hit.event_id], ["Log source", hit.log_source_id], ["QID", hit.qid], ["Rule", hit.rule_id]]),
    section("Command line", h("pre", { class: "ew-cmd", id: "hit-command-line" },
      hit.command_line || ((hit.enrichment || {}).process || {}).command_line || "(none on this event or its process)"),
      !hit.command_line && ((hit.enrichment || {}).process || {}).command_line
        ? h("p", { class: "ew-muted" }, "From the process creation event of the same process GUID.") : null),
    triageSection(hit, (updated) => render(updated)),
    enrichmentSection(hit.enrichment || {}),
    guideSection(hit.rule),
    processSection(hit),
    offenseSection(hit),
    section("Raw event", h("details", {}, h("summary", {}, "Payload and the rule's columns"),
      h("pre", { class: "ew-cmd" }, hit.payload || ""),
      keyValues(Object.entries(hit.fields || {}).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])))));
  document.title = `ExfilWatch: hit ${hit.id}`;
}

export async function showHit(id) {
  const root = clear(document.getElementById("hit-detail"));
  root.append(h("p", { class: "ew-muted" }, `Loading hit ${id}…`));
  try {
    render(await getJSON(`api/hits/${id}`));
  } catch (error) {
    clear(root).append(h("p", {}, error.message));
    throw error;
  }
}
