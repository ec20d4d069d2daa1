"""The tests run where a console runs the app: qradar-app-base 4.0.11's Python, packages and SQLite.

If any of these fails, every other test's verdict says nothing about a console: scripts/_venv.sh (which
builds this environment) is broken or was bypassed."""
import re
import sqlite3
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# IBM's package list for qradar-app-base 4.0.11 (docs/documentation/qradar_app_base_image_4.0.11_packages.md
# in IBMSecurityDocs/qradar_appfw_v2), for the packages the app imports or that those pull in.
BASE_IMAGE_PACKAGES = {
    "Flask": "3.0.0", "Werkzeug": "3.0.6", "Jinja2": "3.1.6", "MarkupSafe": "2.1.3", "itsdangerous": "2.1.2",
    "click": "8.1.7", "blinker": "1.7.0", "requests": "2.32.5", "urllib3": "2.6.3", "certifi": "2026.1.4",
    "charset-normalizer": "3.3.2", "idna": "3.4", "cryptography": "37.0.2", "cffi": "1.15.1",
}


def test_python_is_the_base_images():
    assert sys.version_info[:2] == (3, 11)


def test_sqlite_is_the_base_images_3_26_0():
    assert sqlite3.sqlite_version == "3.26.0"


def test_sqlite_behaves_like_3_26():
    # The library really is the old one, not a newer one reporting an old number: what 3.31+ accepts fails.
    conn = sqlite3.connect(":memory:")
    with pytest.raises(sqlite3.OperationalError, match="near \"AS\""):
        conn.execute("CREATE TABLE t (a TEXT, b TEXT GENERATED ALWAYS AS (upper(a)) VIRTUAL)")
    with pytest.raises(sqlite3.OperationalError):
        conn.execute("CREATE TABLE u (a INTEGER) STRICT")
    conn.execute("CREATE TABLE v (k TEXT PRIMARY KEY, n INTEGER)")
    conn.execute("INSERT INTO v VALUES ('a', 1) ON CONFLICT(k) DO UPDATE SET n = n + 1")   # UPSERT: 3.24
    assert conn.execute("SELECT row_number() OVER (ORDER BY k) FROM v").fetchall() == [(1,)]   # windows: 3.25


@pytest.mark.parametrize("package", sorted(BASE_IMAGE_PACKAGES))
def test_package_is_the_base_images_version(package):
    assert version(package) == BASE_IMAGE_PACKAGES[package]


def test_pins_file_is_the_base_image_list():
    # requirements-base-image.txt is what scripts/_venv.sh and the packaging test install: it must say
    # exactly IBM's versions for every package named above.
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (ROOT / "requirements-base-image.txt").read_text(), re.M))
    assert {name: pins.get(name) for name in BASE_IMAGE_PACKAGES} == BASE_IMAGE_PACKAGES


def test_shipped_requirements_install_nothing_over_the_base_image():
    shipped = re.findall(r"^([A-Za-z0-9_.-]+)==", (ROOT / "requirements.txt").read_text(), re.M)
    lowered = {name.lower() for name in BASE_IMAGE_PACKAGES}
    assert shipped and not [name for name in shipped if name.lower() in lowered]
