# Sourced by the entry scripts: makes (or refreshes) the project's virtual environment in .venv so that
# every script runs the app where a QRadar console runs it: Python 3.11, exactly the base image's package
# versions (requirements-base-image.txt) and the base image's SQLite 3.26.0, first on LD_LIBRARY_PATH.
# Everything comes from the registries (PyPI, npm), so a fresh clone with Python, Node and gcc works.
# A stamp holding the requirements' hash means an unchanged environment costs one sha256sum.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

# qradar-app-base 4.x links Python's sqlite3 module against sqlite-libs 3.26.0. The npm package
# sqlite3@4.0.6 carries that release's amalgamation; its sha256 is pinned so a changed tarball is refused.
SQLITE_VERSION=3.26.0
SQLITE_NPM=sqlite3@4.0.6
SQLITE_TARBALL=sqlite-autoconf-3260000
SQLITE_SHA256=5daa6a3fb7d1e8c767cd59c4ded8da6e4b00c61d3b466d0685e35c4dd6d7bf5d
SQLITE_DIR="$ROOT/.cache/sqlite-$SQLITE_VERSION"

_say() { echo "[exfilwatch] $*" >&2; }

ensure_sqlite() {
  local lib="$SQLITE_DIR/libsqlite3.so.0"
  if [ ! -f "$lib" ]; then
    _say "building SQLite $SQLITE_VERSION (the base image's) into ${SQLITE_DIR#$ROOT/}"
    local tmp
    tmp="$(mktemp -d)"
    (
      set -e
      cd "$tmp"
      npm pack "$SQLITE_NPM" --silent >/dev/null
      tar xzf sqlite3-*.tgz "package/deps/$SQLITE_TARBALL.tar.gz"
      echo "$SQLITE_SHA256  package/deps/$SQLITE_TARBALL.tar.gz" | sha256sum -c --quiet -
      tar xzf "package/deps/$SQLITE_TARBALL.tar.gz" "$SQLITE_TARBALL/sqlite3.c"
      gcc -O2 -fPIC -shared -Wl,-soname,libsqlite3.so.0 -Wno-return-local-addr \
        -DSQLITE_ENABLE_JSON1 -DSQLITE_ENABLE_DESERIALIZE -DSQLITE_THREADSAFE=1 \
        -o libsqlite3.so.0 "$SQLITE_TARBALL/sqlite3.c" -lpthread -ldl -lm
      mkdir -p "$SQLITE_DIR"
      mv libsqlite3.so.0 "$lib.part" && mv "$lib.part" "$lib"   # whole or absent, even if interrupted
    ) || { rm -rf "$tmp"; _say "could not build SQLite $SQLITE_VERSION (needs npm and gcc)"; return 1; }
    rm -rf "$tmp"
  fi
  case ":${LD_LIBRARY_PATH:-}:" in
    *":$SQLITE_DIR:"*) ;;
    *) export LD_LIBRARY_PATH="$SQLITE_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ;;
  esac
}

_python311() {
  local candidate
  for candidate in ${EXFILWATCH_PYTHON:-} python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  _say "Python 3.11 not found (the base image runs 3.11); set EXFILWATCH_PYTHON to one"
  return 1
}

ensure_venv() {
  local want stamp="$VENV/.requirements.sha256" python
  ensure_sqlite || return 1
  want="$(cat "$ROOT/requirements-base-image.txt" "$ROOT/requirements.txt" "$ROOT/requirements-dev.txt" |
          sha256sum | cut -d' ' -f1)"
  # A creation interrupted (Ctrl-C) can leave a venv without pip, or without a python at all: start again.
  if [ -e "$VENV" ] && ! "$PY" -c 'import pip, sys; sys.exit(sys.version_info[:2] != (3, 11))' >/dev/null 2>&1; then
    _say "the virtual environment in .venv is incomplete (an interrupted creation?): making it again"
    rm -rf "$VENV"
  fi
  if [ ! -x "$PY" ]; then
    python="$(_python311)" || return 1
    _say "creating virtual environment in .venv"
    "$python" -m venv "$VENV" || { _say "python -m venv failed (apt-get install python3-venv?)"; rm -rf "$VENV"; return 1; }
  fi
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    _say "installing pinned packages"
    "$PY" -m pip install --disable-pip-version-check -q -r "$ROOT/requirements-dev.txt" >&2 || return 1
    echo "$want" > "$stamp"
  fi
  export PYTHONPATH="$ROOT:$ROOT/scripts${PYTHONPATH:+:$PYTHONPATH}"
}
