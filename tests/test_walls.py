"""The two walls of docs/architecture.md: the app never imports from scripts/, the stand-in never from app/,
and inside the app lower layers never import higher ones."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYER_RANK = {"qradar": 0, "store": 0, "detection": 1, "pipeline": 2}
SCRIPT_PACKAGES = {"qradar_sim", "scenarios"}
# devtools drives the app: the app importing it would reach scripts/, the stand-in importing it would reach the app.
APP_MUST_NOT_IMPORT = SCRIPT_PACKAGES | {"scripts", "devtools"}
STAND_IN_MUST_NOT_IMPORT = {"app", "devtools"}


def imports(path: Path, text: str | None = None):
    """(module, level) of every import statement, and of importlib.import_module / __import__ with a literal."""
    tree = ast.parse(path.read_text(encoding="utf-8") if text is None else text)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, 0
        elif isinstance(node, ast.ImportFrom):
            yield node.module or "", node.level
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and (getattr(node.func, "attr", None) == "import_module" or getattr(node.func, "id", None) in
                   ("__import__", "import_module"))):
            yield node.args[0].value, 0


def absolute(path: Path, module: str, level: int) -> str:
    if not level:
        return module
    package = path.relative_to(ROOT).with_suffix("").parts[: -level]
    return ".".join(package + ((module,) if module else ()))


def top_package(path: Path, module: str, level: int) -> str:
    """The first package the import names, relative imports resolved (scripts.devtools counts as devtools)."""
    parts = absolute(path, module, level).split(".")
    return parts[1] if parts[0] == "scripts" and len(parts) > 1 else parts[0]


def offenders(paths, forbidden, text=None):
    return [f"{p.relative_to(ROOT)} imports {m or '.'}" for p in paths for m, level in imports(p, text)
            if top_package(p, m, level) in forbidden]


def test_app_never_imports_scripts():
    assert offenders((ROOT / "app").rglob("*.py"), APP_MUST_NOT_IMPORT) == []


def test_stand_in_and_generator_never_import_app():
    # scripts/devtools (demo, evaluate, bench) drive the real app on purpose; the stand-in and the
    # scenario generator must know nothing of it, not even through devtools.
    paths = [p for package in SCRIPT_PACKAGES for p in (ROOT / "scripts" / package).rglob("*.py")]
    assert paths and offenders(paths, STAND_IN_MUST_NOT_IMPORT) == []


@pytest.mark.parametrize("where, code, forbidden", [
    ("app/web/x.py", "from devtools.appenv import app_runtime", APP_MUST_NOT_IMPORT),
    ("app/web/x.py", "import scripts.qradar_sim", APP_MUST_NOT_IMPORT),
    ("app/web/x.py", "importlib.import_module('qradar_sim.aql')", APP_MUST_NOT_IMPORT),
    ("scripts/qradar_sim/x.py", "from ..devtools import simproc", STAND_IN_MUST_NOT_IMPORT),
    ("scripts/qradar_sim/x.py", "from devtools.appenv import app_runtime", STAND_IN_MUST_NOT_IMPORT),
    ("scripts/scenarios/x.py", "from app.runtime import Runtime", STAND_IN_MUST_NOT_IMPORT),
    ("scripts/scenarios/x.py", "__import__('app')", STAND_IN_MUST_NOT_IMPORT),
])
def test_the_wall_checks_catch_a_crossing(where, code, forbidden):
    assert offenders([ROOT / where], forbidden, text=code), "the check must see this crossing"


def test_app_layers_only_import_downwards():
    offenders = []
    for path in (ROOT / "app").rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if len(parts) < 3 or parts[1] not in LAYER_RANK:
            continue
        for module, level in imports(path):
            target = absolute(path, module, level).split(".")
            if target[0] == "app" and len(target) > 1 and target[1] not in LAYER_RANK and target[1] != "":
                offenders.append(f"{path.relative_to(ROOT)} imports app.{target[1]}")
            elif target[0] == "app" and len(target) > 1 and LAYER_RANK.get(target[1], -1) > LAYER_RANK[parts[1]]:
                offenders.append(f"{path.relative_to(ROOT)} imports the higher layer app.{target[1]}")
    assert offenders == []
