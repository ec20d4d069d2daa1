# Sourced by the entry scripts: makes (or refreshes) the project's virtual environment in .venv
# from the pinned requirements, so every script works on a fresh clone with only Python present.
# A stamp holding the requirements' hash means an unchanged environment costs one sha256sum.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

ensure_venv() {
  local want stamp="$VENV/.requirements.sha256"
  want="$(cat "$ROOT/requirements.txt" "$ROOT/requirements-dev.txt" | sha256sum | cut -d' ' -f1)"
  if [ ! -x "$PY" ]; then
    echo "[exfilwatch] creating virtual environment in .venv" >&2
    python3 -m venv "$VENV" || { echo "[exfilwatch] python3 -m venv failed (apt-get install python3-venv?)" >&2; return 1; }
  fi
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "[exfilwatch] installing pinned packages" >&2
    "$PY" -m pip install --disable-pip-version-check -q -r "$ROOT/requirements-dev.txt" >&2 || return 1
    echo "$want" > "$stamp"
  fi
  export PYTHONPATH="$ROOT:$ROOT/scripts${PYTHONPATH:+:$PYTHONPATH}"
}
