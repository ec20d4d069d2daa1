"""Asset model: the assets of the dataset's context file and of POST /sim/assets, filtered by
`interfaces contains ip_addresses contains value="10.1.2.3"` like GET /api/asset_model/assets."""
import threading


def _normalize(asset, asset_id):
    out = {"id": asset_id, "domain_id": 0, "hostnames": [], "interfaces": [], "properties": [], "users": [],
           "products": [], "risk_score_sum": 0.0, "vulnerability_count": 0}
    out.update(asset)
    out.setdefault("id", asset_id)
    return out


class Assets:
    def __init__(self):
        self._lock = threading.Lock()
        self._assets = []

    def add(self, assets):
        assets = assets if isinstance(assets, list) else [assets]
        with self._lock:
            for asset in assets:
                if not isinstance(asset, dict):
                    raise ValueError("an asset is a JSON object")
                self._assets.append(_normalize(asset, 1000 + len(self._assets) + 1))
            return len(assets)

    def all(self):
        with self._lock:
            return [dict(a) for a in self._assets]
