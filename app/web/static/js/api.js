// The one way ExfilWatch pages talk to the app and build DOM.
//
// - URLs are resolved against the page's own address, so "api/hits" means /api/hits locally and
//   /console/plugins/<app_id>/app_proxy/api/hits inside the console. Never start a path with "/".
// - State changes carry the QRadarCSRF header (the value of the QRadarCSRF cookie): QRadar checks it on the
//   console, the app checks it everywhere (app/web/security.py).
// - Telemetry is attacker-controlled: build elements with h() (textContent only), never innerHTML.

export const CSRF_NAME = "QRadarCSRF";

export class ApiError extends Error {
  constructor(message, status, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export function csrfToken() {
  for (const part of document.cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === CSRF_NAME) return decodeURIComponent(rest.join("="));
  }
  return "";
}

// A URL relative to the page, with query parameters (empty values left out).
export function url(path, params) {
  if (path.startsWith("/")) throw new Error(`api path must be relative to the page: ${path}`);
  const target = new URL(path, document.baseURI);
  for (const [key, value] of Object.entries(params || {})) {
    if (value === undefined || value === null || value === "") continue;
    target.searchParams.set(key, String(value));
  }
  return target.toString();
}

async function request(method, path, { params, body } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET" && method !== "HEAD") headers[CSRF_NAME] = csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url(path, params), {
      method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(`cannot reach ExfilWatch (${error.message})`, 0, null);
  }
  const type = response.headers.get("Content-Type") || "";
  const data = type.includes("application/json") ? await response.json().catch(() => null) : null;
  if (!response.ok) {
    const message = (data && (data.error || data.message)) || `${response.status} ${response.statusText}`;
    throw new ApiError(message, response.status, data);
  }
  return data;
}

export const getJSON = (path, params) => request("GET", path, { params });
export const send = (method, path, body) => request(method, path, { body });

// h("td", {class: "x", title: text}, child, "text", ...): attributes are set as attributes (never event
// handlers: on* names are refused), strings become text nodes.
export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (/^on/i.test(key)) throw new Error(`h(): event handler attribute ${key} refused; use addEventListener`);
    if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

// A Carbon inline notification in the page's notification area; errors stay until closed.
export function notify(message, kind = "error") {
  const area = document.getElementById("ew-notifications");
  if (!area) return;
  const close = h("button", { class: "cds--inline-notification__close-button", type: "button", "aria-label": "close" }, "×");
  const box = h("div", { class: `cds--inline-notification cds--inline-notification--${kind} ew-notification`, role: kind === "error" ? "alert" : "status" },
    h("div", { class: "cds--inline-notification__details" },
      h("div", { class: "cds--inline-notification__text-wrapper" },
        h("div", { class: "cds--inline-notification__subtitle" }, message))),
    close);
  close.addEventListener("click", () => box.remove());
  area.append(box);
  if (kind !== "error") setTimeout(() => box.remove(), 5000);
}

export function showError(error) {
  notify(error instanceof Error ? error.message : String(error), "error");
}

export function fmtTime(ms) {
  if (ms === null || ms === undefined || ms === "") return "";
  return new Date(Number(ms)).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}
