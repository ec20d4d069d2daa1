"""manifest.json against IBM's documented manifest fields (data/manifest_fields.json, written from IBM's docs):
a field QRadar does not know is ignored at best, and the install is what an administrator sees first."""
import json
import re
import uuid
from pathlib import Path

import pytest

import app

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = json.loads((ROOT / "manifest.json").read_text())
DOC = json.loads((Path(__file__).with_name("data") / "manifest_fields.json").read_text())


def is_type(value, kind):
    # IBM's samples write booleans as strings ("true"); QRadar accepts both.
    return {"string": isinstance(value, str), "object": isinstance(value, dict), "array": isinstance(value, list),
            "boolean": value in (True, False, "true", "false")}[kind]


def test_every_field_is_documented_and_of_its_documented_type():
    assert [k for k in MANIFEST if k not in DOC["fields"]] == []
    assert {k: v for k, v in MANIFEST.items() if not is_type(v, DOC["fields"][k])} == {}
    assert [k for k in DOC["required"] if not MANIFEST.get(k)] == []


@pytest.mark.parametrize("section, fields", [("areas", "area_fields"), ("configuration_pages", "configuration_page_fields"),
                                             ("environment_variables", "environment_variable_fields")])
def test_every_nested_field_is_documented(section, fields):
    unknown = [(i, k) for i, item in enumerate(MANIFEST.get(section, [])) for k in item if k not in DOC[fields]]
    assert unknown == []


def test_authentication_and_resources_use_documented_fields_only():
    auth = MANIFEST["authentication"]
    assert set(auth) <= set(DOC["authentication_fields"])
    assert set(auth["oauth2"]) <= set(DOC["authentication_fields"]["oauth2"])
    assert auth["oauth2"]["authorisation_flow"] in DOC["authorisation_flows"]
    assert set(MANIFEST["resources"]) <= set(DOC["resources_fields"])
    assert isinstance(MANIFEST["resources"]["memory"], int) and MANIFEST["resources"]["memory"] >= 256


def test_identity_is_valid_and_matches_the_app():
    assert str(uuid.UUID(MANIFEST["uuid"])) == MANIFEST["uuid"]
    assert MANIFEST["version"] == app.__version__ and re.fullmatch(r"\d+\.\d+\.\d+", MANIFEST["version"])


def test_image_is_a_published_4x_base_image_and_the_minimum_qradar_is_stated():
    name, _, version = MANIFEST["image"].partition(":")
    assert name == "qradar-app-base" and version in DOC["published_4x_images"]
    # IBM's manifest has no field for it; the description (shown in Extensions Management) and
    # docs/install.md say it.
    assert DOC["minimum_qradar_for_4x"] in MANIFEST["description"]
    assert DOC["minimum_qradar_for_4x"] in (ROOT / "docs" / "install.md").read_text()


def test_qradar_checks_csrf_and_the_token_asks_for_no_more_than_it_uses():
    assert MANIFEST["use_qradar_csrf"] == "true"
    requested = MANIFEST["authentication"]["oauth2"]["requested_capabilities"]
    assert requested and "ADMIN" not in requested
    install = (ROOT / "docs" / "install.md").read_text()
    assert [c for c in requested if f"`{c}`" not in install] == []   # each one explained


def test_the_scheduler_is_switched_on_by_the_manifest():
    env = {e["name"]: e["value"] for e in MANIFEST["environment_variables"]}
    assert env == {"EXFILWATCH_SCHEDULER_ENABLED": "true"}
