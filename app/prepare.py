"""`python3 -m app.prepare`: what the container runs at start, before Flask and the scheduler
(container/run/ordering.txt). Opens the store once, so that converting a store of an earlier release and
its migrations run here, one at a time, and a failure is written to startup.log with its reason instead of
surfacing as two programs failing to start. Exit 0: the store is ready; 1: it is not, and was left as it was."""
from __future__ import annotations

import sys

from .config import AppConfig
from .qradar.platform import get_platform
from .store import Store


def main() -> int:
    config = AppConfig.from_env()
    platform = get_platform()
    path = config.db_path or platform.store_path("exfilwatch.db")
    try:
        store = Store(path)
    except Exception as error:   # the reason is the message: MigrationError names the step and the SQLite
        print(f"ExfilWatch: the store {path} cannot be opened: {error}", file=sys.stderr)
        platform.log(f"store {path} cannot be opened: {error}", "ERROR")
        return 1
    version = store.db.query("PRAGMA user_version")[0][0]
    store.close()
    print(f"ExfilWatch: store {path} ready at schema {version}")
    return 0


if __name__ == "__main__":   # pragma: no cover - run by the container and the packaging test
    raise SystemExit(main())
