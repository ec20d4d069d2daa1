"""The app's SQLite store: one facade over the ledger, the hits and the settings."""
from __future__ import annotations

from pathlib import Path

from .db import Database, StoreFullError
from .hits import Hits
from .ledger import Ledger, LedgerWindow, to_json
from .settings import Settings

__all__ = ["Store", "StoreFullError", "LedgerWindow", "to_json"]


class Store:
    def __init__(self, path: str | Path):
        self.db = Database(path)
        self.ledger = Ledger(self.db)
        self.hits = Hits(self.db)
        self.settings = Settings(self.db)

    def close(self):
        self.db.close()
