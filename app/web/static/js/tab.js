// The analyst tab: one page, views chosen by the URL's hash (#overview, #hits, #health, #hit-<id>).
const VIEWS = ["overview", "hits", "health", "hit"];

function route() {
  const hash = location.hash.replace(/^#/, "");
  const view = /^hit-\d+$/.test(hash) ? "hit" : (VIEWS.includes(hash) ? hash : "overview");
  for (const section of document.querySelectorAll(".ew-view")) section.hidden = section.dataset.view !== view;
  for (const link of document.querySelectorAll("[data-nav]")) link.classList.toggle("ew-active", link.dataset.nav === view);
}

window.addEventListener("hashchange", route);
route();
