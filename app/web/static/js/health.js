// Run health: per rule, the state (with what to do), the window ledger and the recent runs.
import { getJSON, h, clear } from "./api.js";
import { table, keyValues, severityTag, stateTag, tag, time, duration } from "./ui.js";

function ruleCard(r) {
  const w = r.windows_by_status;
  return h("section", { class: "ew-tile ew-health", "data-rule": r.rule_id },
    h("h2", { class: "ew-subtitle" }, r.name, " ", severityTag(r.severity), " ", stateTag(r.state)),
    r.reason ? h("p", {}, r.reason, r.action ? h("strong", {}, " ", r.action) : null) : null,
    keyValues([
      ["Searched up to (UTC)", time(r.checkpoint_ms)], ["Interval", `${r.interval_minutes} min`],
      ["Next run (about)", time(r.next_run_ms)],
      ["Windows", `${w.done} done · ${w.failed} failed · ${w.pending + w.running} pending · ${w.split} split`],
      ["Still owed", r.owed.windows ? `${r.owed.windows} window(s), ${duration(r.owed.ms)} of time from ${time(r.owed.oldest_ms)}` : "nothing"],
      ["Rows read / hits", `${r.rows} / ${r.hits}`],
      ["Window duration", r.duration_ms.avg === null ? "" : `avg ${duration(r.duration_ms.avg)}, max ${duration(r.duration_ms.max)}`],
    ]),
    h("details", {}, h("summary", {}, "Recent runs"),
      table(["Started (UTC)", "Kind", "Status", "Windows done", "Failed", "New hits", "Took", "Error"],
        r.runs.map((run) => [time(run.started_ms), run.kind, tag(run.status), String(run.windows_done), String(run.windows_failed),
          String(run.new_hits), run.finished_ms ? duration(run.finished_ms - run.started_ms) : "",
          // The redacted text, when it is plain prose; administrators read the whole error on the admin page.
          run.had_error ? run.error_public || "an error (its text may quote the query: administrators only)" : ""]))),
    h("details", {}, h("summary", {}, "Window ledger (latest 50)"),
      table(["From (UTC)", "To (UTC)", "Kind", "Status", "Attempts", "Rows", "Hits", "Took", "Note"],
        r.windows.map((x) => [time(x.start_ms), time(x.end_ms), x.kind, stateTag(x.status), String(x.attempts),
          x.rows === null ? "" : String(x.rows), x.hits === null ? "" : String(x.hits), duration(x.duration_ms), x.reason || ""]))));
}

export async function showHealth() {
  const rules = await getJSON("api/health");
  clear(document.getElementById("health-rules")).append(...rules.map(ruleCard));
}
