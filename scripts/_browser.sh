# Sourced by scripts/test: the browser the browser tests (tests/browser) drive. Debian's Chromium from apt,
# never a browser build downloaded by Playwright (`playwright install` fetches from a CDN); Playwright itself
# is the pinned PyPI package in requirements-dev.txt and launches /usr/bin/chromium (tests/browser/conftest.py).
ensure_browser() {
  [ -x /usr/bin/chromium ] && return 0
  echo "[exfilwatch] installing Debian's chromium for the browser tests" >&2
  if [ "$(id -u)" != 0 ]; then
    echo "[exfilwatch] /usr/bin/chromium is missing: run 'apt-get update && apt-get install -y chromium' as root" >&2
    return 1
  fi
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; } >&2 || return 1
}
