// The analyst tab: one page, views chosen by the URL's hash:
//   #overview, #hits[?filters], #health, #hit-<id> (the link offense events and notes carry).
import { showError } from "./api.js";
import { showOverview } from "./overview.js";
import { showHits } from "./hits.js";
import { showHit } from "./hit.js";
import { showHealth } from "./health.js";

const VIEWS = { overview: showOverview, hits: showHits, health: showHealth };

function parse(hash) {
  const raw = hash.replace(/^#/, "");
  const match = /^hit-(\d+)$/.exec(raw);
  if (match) return { view: "hit", id: Number(match[1]), params: new URLSearchParams() };
  const [name, query] = raw.split("?", 2);
  return { view: VIEWS[name] ? name : "overview", params: new URLSearchParams(query || "") };
}

async function route() {
  const { view, id, params } = parse(location.hash);
  delete document.body.dataset.ready;
  for (const section of document.querySelectorAll(".ew-view")) section.hidden = section.dataset.view !== view;
  for (const link of document.querySelectorAll("[data-nav]")) {
    link.classList.toggle("ew-active", link.dataset.nav === (view === "hit" ? "hits" : view));
  }
  document.body.dataset.view = view;
  try {
    if (view === "hit") await showHit(id);
    else await VIEWS[view](params);
  } catch (error) {
    showError(error);
  } finally {
    document.body.dataset.ready = view;   // browser tests wait for this
  }
}

window.addEventListener("hashchange", route);
route();
