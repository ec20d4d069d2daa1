// Overview: counts, the hits-over-time chart (Carbon Charts), top values, offenses, each rule's last run.
import { getJSON, h, clear } from "./api.js";
import { table, tag, stateTag, severityTag, time, hitsLink } from "./ui.js";

let chart = null;

function countTile(label, counts) {
  return h("div", { class: "ew-tile", "data-count": label },
    h("h3", {}, label),
    h("div", { class: "ew-count" }, String(counts.hits)),
    h("div", { class: "ew-muted" }, `hits · ${counts.suppressed} suppressed`));
}

function drawChart(series) {
  const holder = document.getElementById("ov-chart");
  const data = [];
  for (const point of series.points) {
    data.push({ group: "Hits", date: new Date(point.t), value: point.hits });
    data.push({ group: "Suppressed", date: new Date(point.t), value: point.suppressed });
  }
  if (!data.length) {
    clear(holder).append(h("p", { class: "ew-muted" }, "No hits stored yet."));
    return;
  }
  const options = {
    axes: { left: { mapsTo: "value", stacked: true, title: "Hits" }, bottom: { mapsTo: "date", scaleType: "time" } },
    height: "320px", toolbar: { enabled: false }, legend: { clickable: false },
    theme: document.body.classList.contains("cds--g100") ? "g100" : "white",
  };
  if (!window.Charts) {
    clear(holder).append(h("p", { class: "ew-muted" }, "The chart library is missing (run scripts/demo or scripts/test once to install the assets)."));
    return;
  }
  if (chart) chart.model.setData(data);
  else { clear(holder); chart = new window.Charts.StackedBarChart(holder, { data, options }); }
}

function topTile(title, filterKey, values) {
  return h("div", { class: "ew-tile", "data-top": filterKey },
    h("h3", {}, title),
    values.length ? h("ol", { class: "ew-list" }, values.map((v) => h("li", {}, hitsLink(v.value, { [filterKey]: v.value }), ` (${v.count})`)))
      : h("p", { class: "ew-muted" }, "None."));
}

function offenseCell(o) {
  if (!o.offense_id) return "";
  return h("a", { class: "cds--link", href: o.offense_url, target: "_blank", rel: "noopener noreferrer" }, `Offense ${o.offense_id}`);
}

export async function showOverview() {
  const data = await getJSON("api/overview");
  clear(document.getElementById("ov-counts")).append(
    countTile("Last 24 hours", data.counts["24h"]), countTile("Last 7 days", data.counts["7d"]),
    countTile("Last 30 days", data.counts["30d"]), countTile("All stored", data.counts.all));
  drawChart(data.series);
  clear(document.getElementById("ov-top")).append(
    topTile("Hosts", "host", data.top.hosts), topTile("Users", "user", data.top.users),
    topTile("Tools", "tool", data.top.tools), topTile("Destinations", "destination", data.top.destinations));
  const counts = data.offenses.counts;
  clear(document.getElementById("ov-offenses")).append(
    h("p", { class: "ew-muted" }, `${counts.offenses} offense(s) noted by QRadar, ${counts.sent} event group(s) sent. `,
      Object.entries(counts.groups).map(([state, n]) => `${state.replace("_", " ")}: ${n}`).join(" · ")),
    table(["Status", "Offense", "Source", "User", "Tool", "Destination", "Hits", "Max risk", "First event (UTC)"],
      data.offenses.recent.map((o) => [stateTag(o.status), offenseCell(o), o.source_ip || "", o.username || "",
        o.tool || "", o.destination || "", String(o.hit_count), o.max_risk === null ? "" : String(o.max_risk), time(o.first_event_ms)])));
  clear(document.getElementById("ov-rules")).append(
    table(["Rule", "Severity", "State", "Last run (UTC)", "Result", "New hits"],
      data.rules.map((r) => [r.name, severityTag(r.severity), stateTag(r.state),
        r.last_run ? time(r.last_run.started_ms) : "never", r.last_run ? tag(r.last_run.status) : "",
        r.last_run ? String(r.last_run.new_hits) : ""])));
}
