#!/bin/bash
# Called on SIGTERM: give the scheduler its stop signal so a running window's transaction finishes or rolls
# back cleanly (the ledger makes either safe) before the container is killed 10 s later.
supervisorctl stop exfilwatch-scheduler >/dev/null 2>&1 || true
