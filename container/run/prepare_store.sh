#!/bin/bash
# Container start (container/run/ordering.txt), before the programs: the store's log folder, then the store
# opened once (an earlier release's store converted, migrations applied) by app/prepare.py.
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
mkdir -p "$root/store/log"
cd "$root" && python3 -m app.prepare
