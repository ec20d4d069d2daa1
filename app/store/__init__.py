"""The app's SQLite store: one facade over the ledger, the hits and the settings."""
from __future__ import annotations

from pathlib import Path

from .db import Database, StoreFullError
from .hits import Hits
from .ledger import Ledger, LedgerWindow, json_encoder, to_json
from .rollup import ensure_rollups
from .settings import Settings

__all__ = ["Store", "StoreFullError", "LedgerWindow", "json_encoder", "to_json"]


class Store:
    def __init__(self, path: str | Path):
        self.db = Database(path)
        self.ledger = Ledger(self.db)
        self.hits = Hits(self.db)
        ensure_rollups(self.db)       # the overview's roll-ups and their triggers (rebuilt when missing)
        self.hits.backfill_facets()   # once, for hits stored before the browse columns existed
        self.settings = Settings(self.db)

    def close(self):
        self.db.close()
