"""Names behind ids: log sources, log source types, categories and QIDs (catalog.json plus the dataset's
log sources). Used by LOGSOURCENAME, LOGSOURCETYPENAME, CATEGORYNAME and QIDNAME."""
from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Iterable, Optional

DEFAULT_PATH = Path(__file__).with_name("catalog.json")


def _key(ident: Any) -> Optional[int]:
    try:
        return int(ident)
    except (TypeError, ValueError):
        return None


class Catalog:
    def __init__(self, log_source_types: dict | None = None, categories: dict | None = None,
                 qids: dict | None = None, log_sources: Iterable[dict] = ()):
        self._types = {_key(k): v for k, v in (log_source_types or {}).items()}
        self._categories = {_key(k): v for k, v in (categories or {}).items()}
        # qids.json entries are {"name", "category"}; a bare string is accepted as the name
        self._qids = {_key(k): (v["name"] if isinstance(v, dict) else v) for k, v in (qids or {}).items()}
        self._log_sources: dict[int, dict] = {}
        self._lock = threading.Lock()
        self.add_log_sources(log_sources)

    @classmethod
    def from_file(cls, path: str | Path = DEFAULT_PATH) -> "Catalog":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(data.get("log_source_types"), data.get("categories"), data.get("qids"),
                   data.get("log_sources", ()))

    def add_log_sources(self, sources: Iterable[dict]) -> None:
        """Add or replace log sources given as {"id", "name", "type_id"}."""
        with self._lock:
            for source in sources:
                ident = _key(source["id"])
                self._log_sources[ident] = {"id": ident, "name": source["name"],
                                            "type_id": _key(source.get("type_id"))}

    def log_source_name(self, ident) -> Optional[str]:
        source = self._log_sources.get(_key(ident))
        return None if source is None else source["name"]

    def log_source_type_name(self, ident) -> Optional[str]:
        return self._types.get(_key(ident))

    def category_name(self, ident) -> Optional[str]:
        return self._categories.get(_key(ident))

    def qid_name(self, ident) -> Optional[str]:
        return self._qids.get(_key(ident))

    def log_sources(self) -> list[dict]:
        with self._lock:
            return [dict(source) for source in sorted(self._log_sources.values(), key=lambda s: s["id"])]
