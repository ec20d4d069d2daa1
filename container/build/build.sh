#!/bin/bash
# Image build (container/build/ordering.txt), after container/pip/ is installed: fail the build, not the first
# start, when a package the app needs is missing, and byte-compile the app so that starting is fast.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
python3 -c 'import apscheduler, tzlocal, flask, requests, cryptography' ||
  { echo "ExfilWatch build: a package the app needs is missing (container/pip/ordering.txt)" >&2; exit 1; }
python3 -m compileall -q "$root/app"
