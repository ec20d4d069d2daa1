# Sourced by scripts/demo and scripts/test: the front-end assets the pages load (IBM Carbon styles and Carbon
# Charts), installed from npm with the committed package-lock.json and copied into app/web/static/vendor/
# (gitignored; scripts/package ships it). Never a CDN: the compiled Carbon CSS points its IBM Plex
# @font-face rules at one, so they are stripped here and the pages use the system's sans-serif.
# A stamp holding the lock file's and this script's hash makes an unchanged setup cost one sha256sum.
ASSETS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

ensure_assets() {
  local vendor="$ASSETS_ROOT/app/web/static/vendor" modules="$ASSETS_ROOT/node_modules" want
  want="$(cat "$ASSETS_ROOT/package-lock.json" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)"
  if [ -f "$vendor/.stamp" ] && [ "$(cat "$vendor/.stamp")" = "$want" ]; then
    return 0
  fi
  command -v npm >/dev/null || { echo "[exfilwatch] npm is needed for the front-end assets (apt-get install -y npm)" >&2; return 1; }
  if [ ! -f "$modules/.package-lock.json" ] || ! cmp -s <(sha256sum < "$ASSETS_ROOT/package-lock.json") "$modules/.exfilwatch-lock.sha256"; then
    echo "[exfilwatch] installing front-end packages (npm ci)" >&2
    # --ignore-scripts: nothing runs at install time (Carbon's postinstall is only usage telemetry).
    (cd "$ASSETS_ROOT" && IBM_TELEMETRY_DISABLED=true npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2) || return 1
    sha256sum < "$ASSETS_ROOT/package-lock.json" > "$modules/.exfilwatch-lock.sha256"
  fi
  mkdir -p "$vendor"
  node - "$modules" "$vendor" <<'JS' || return 1
const fs = require("fs"), path = require("path");
const [modules, vendor] = process.argv.slice(2);
const noFonts = (css) => css.replace(/@font-face\s*\{[^}]*\}/g, "");
const copies = [
  ["@carbon/styles/css/styles.min.css", "carbon.css", noFonts],
  ["@carbon/charts/dist/styles.min.css", "charts.css", noFonts],
  ["@carbon/charts/dist/umd/bundle.umd.js", "charts.js", (js) => js.replace(/\n\/\/# sourceMappingURL=.*$/m, "")],
];
for (const [from, to, transform] of copies) {
  const text = transform(fs.readFileSync(path.join(modules, from), "utf8"));
  if (/url\(\s*["']?https?:/i.test(to.endsWith(".css") ? text : "")) throw new Error(`${from} still loads from the network`);
  fs.writeFileSync(path.join(vendor, to), text);
}
JS
  echo "$want" > "$vendor/.stamp"
}
