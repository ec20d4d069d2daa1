#!/bin/bash
# Run by the platform on SIGTERM; the container is killed 10 s later. Stopping the scheduler program makes
# it cancel and delete its Ariel searches in flight and leave their windows owed in the ledger
# (app/scheduler.py); the bound keeps this script inside the 10 s even if supervisord does not answer.
timeout 9 supervisorctl stop exfilwatch-scheduler >/dev/null 2>&1 || true
