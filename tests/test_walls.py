"""The two walls of docs/architecture.md: the app never imports from scripts/, the stand-in never from app/,
and inside the app lower layers never import higher ones."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYER_RANK = {"qradar": 0, "store": 0, "detection": 1, "pipeline": 2}
SCRIPT_PACKAGES = {"qradar_sim", "scenarios"}


def imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, 0
        elif isinstance(node, ast.ImportFrom):
            yield node.module or "", node.level


def absolute(path: Path, module: str, level: int) -> str:
    if not level:
        return module
    package = path.relative_to(ROOT).with_suffix("").parts[: -level]
    return ".".join(package + ((module,) if module else ()))


def test_app_never_imports_scripts():
    offenders = [f"{p.relative_to(ROOT)} imports {m}" for p in (ROOT / "app").rglob("*.py")
                 for m, level in imports(p) if not level and m.split(".")[0] in SCRIPT_PACKAGES | {"scripts"}]
    assert offenders == []


def test_stand_in_and_generator_never_import_app():
    # scripts/devtools (demo, evaluate, bench) drive the real app on purpose; the stand-in and the
    # scenario generator must know nothing of it.
    offenders = [f"{p.relative_to(ROOT)} imports {m}" for package in SCRIPT_PACKAGES
                 for p in (ROOT / "scripts" / package).rglob("*.py")
                 for m, level in imports(p) if not level and m.split(".")[0] == "app"]
    assert offenders == []


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
