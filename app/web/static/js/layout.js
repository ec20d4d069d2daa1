// Runs on every page: the banner that says when a rule is failing, paused or disabled, and what to do.
import { getJSON, h, clear } from "./api.js";

async function loadBanners() {
  const area = document.getElementById("ew-banners");
  if (!area) return;
  let banners;
  try {
    banners = await getJSON("api/banners");
  } catch (error) {
    banners = [{ kind: "error", title: "ExfilWatch is not answering", text: error.message, action: "Reload the page; if it persists, check the app's log." }];
  }
  clear(area);
  for (const banner of banners) {
    area.append(h("div", { class: `cds--actionable-notification cds--actionable-notification--${banner.kind} ew-banner`, role: "alert", "data-rule": banner.rule_id },
      h("div", { class: "cds--actionable-notification__details" },
        h("div", { class: "cds--actionable-notification__text-wrapper" },
          h("div", { class: "cds--actionable-notification__title" }, banner.title),
          h("div", { class: "cds--actionable-notification__subtitle" }, banner.text, " ", h("strong", {}, banner.action))))));
  }
}

function applyTheme() {
  // Dark when the browser (or the console around it) prefers it: Carbon's g100 theme.
  if (window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches) {
    document.body.classList.replace("cds--white", "cds--g100");
  }
}

applyTheme();
loadBanners();
