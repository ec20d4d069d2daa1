"""Which REST API versions a console of a given QRadar release answers to (`--release`).

IBM's table "QRadar API endpoint documentation and supported versions" (docs for qradar-common, RESTful API
overview): each release introduces one version, supports it and the two before it, and lists the band below
as deprecated. Older versions than that band are modelled as removed: a request naming one is refused like
any unknown version, and GET /api/help/versions marks it removed. Without --release the stand-in keeps its
historic behaviour (every version from 12.0 to 20.0 accepted), so existing clients and tests are unchanged.
"""
from __future__ import annotations

# release -> (introduced, supported, deprecated band)
RELEASES = {
    "7.5.0": ("17.0", ("17.0", "16.0", "15.0"), "14"),
    "7.5.0-UP2": ("18.0", ("18.0", "17.0", "16.0"), "15"),
    "7.5.0-UP3": ("19.0", ("19.0", "18.0", "17.0"), "16"),
    "7.5.0-UP6": ("20.0", ("20.0", "19.0", "18.0"), "17"),
    "7.5.0-UP7": ("21.0", ("21.0", "20.0", "19.0"), "18"),
    "7.5.0-UP8": ("22.0", ("22.0", "21.0", "20.0"), "19"),
    "7.5.0-UP9": ("23.0", ("23.0", "22.0", "21.0"), "20"),
    "7.5.0-UP10": ("24.0", ("24.0", "23.0", "22.0"), "21"),
    "7.5.0-UP11": ("25.0", ("25.0", "24.0", "23.0"), "22"),
    "7.5.0-UP12": ("26.0", ("26.0", "25.0", "24.0"), "23"),
    "7.5.0-UP13": ("26.0", ("26.0", "25.0", "24.0"), "23"),
    "7.5.0-UP14": ("27.0", ("27.0", "26.0", "25.0"), "24"),
}
# Every API version QRadar has had, oldest first (what /api/help/versions lists, removed ones included).
ALL_VERSIONS = ("3.0", "4.0", "5.0", "5.1", "6.0", "7.0", "8.0", "9.0", "10.0", "11.0", "12.0", "12.1", "13.0",
                "13.1", "14.0", "15.0", "15.1", "16.0", "17.0", "18.0", "19.0", "20.0", "21.0", "22.0", "23.0",
                "24.0", "25.0", "26.0", "27.0")
LEGACY = ("12.0", "12.1", "13.0", "13.1", "14.0", "15.0", "15.1", "16.0", "17.0", "18.0", "19.0", "20.0")


def _major(version: str) -> int:
    return int(version.split(".")[0])


class ApiVersions:
    """The API versions of one console: what it accepts, its latest, and its /api/help/versions answer."""

    def __init__(self, release: str | None = None):
        if release is not None and release not in RELEASES:
            raise ValueError(f"unknown release {release!r}; known: {', '.join(RELEASES)}")
        self.release = release
        if release is None:
            self.latest, self._ok, self._deprecated = "20.0", set(LEGACY), set()
        else:
            introduced, supported, band = RELEASES[release]
            self.latest = introduced
            self._ok = set(supported)
            self._deprecated = {v for v in ALL_VERSIONS if v.split(".")[0] == band}

    @property
    def accepted(self) -> set[str]:
        return self._ok | self._deprecated

    def listing(self) -> list[dict]:
        newest = _major(self.latest)
        rows = []
        for number, version in enumerate(ALL_VERSIONS, start=1):
            if _major(version) > newest or (version not in self.accepted and _major(version) == newest):
                continue
            rows.append({"id": number, "version": version, "deprecated": version in self._deprecated,
                         "removed": version not in self.accepted, "root_resource_ids": []})
        return rows
