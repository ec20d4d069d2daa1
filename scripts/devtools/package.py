"""Builds the installable app: dist/exfilwatch-<version>.zip (scripts/package; DESIGN.md contract).

    manifest.json
    app/                     the Flask package with its data (rules, migrations, pipeline data, templates,
                             static files and front-end vendor assets), without caches
    container/build|run|conf|clean/   as in the repository
    container/pip/*.whl      requirements.txt only (what the base image lacks), CPython 3.11 manylinux x86_64
    container/pip/ordering.txt   those wheels, dependencies first (requirements.txt's order)

Nothing in the zip reaches the internet at install: no requirements.txt in container/pip. The wheels are
downloaded from PyPI once into .cache/wheels/ and reused.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WHEEL_CACHE = ROOT / ".cache" / "wheels"
# The base image: CPython 3.11 on UBI 8 (glibc 2.28) x86_64.
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64", "any")
SKIP_DIRS = {"__pycache__", ".pytest_cache"}
SKIP_SUFFIXES = {".pyc", ".pyo"}


class PackageError(RuntimeError):
    pass


def version() -> str:
    text = (ROOT / "app" / "__init__.py").read_text(encoding="utf-8")
    found = re.search(r'^__version__ = "([^"]+)"', text, re.M)
    manifest = json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))["version"]
    if not found or found.group(1) != manifest:
        raise PackageError(f"app.__version__ ({found and found.group(1)}) and manifest.json's version "
                           f"({manifest}) differ")
    return manifest


def shipped_requirements() -> list[str]:
    """requirements.txt's pins, in its order (dependencies first)."""
    pins = []
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if not re.fullmatch(r"[A-Za-z0-9_.-]+==[A-Za-z0-9_.+-]+", line):
            raise PackageError(f"requirements.txt: {line!r} is not an exact pin")
        pins.append(line)
    return pins


def wheels(pins: list[str]) -> list[Path]:
    """One wheel per pin, for the base image's Python and platform, in the pins' order."""
    WHEEL_CACHE.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
               "--only-binary=:all:", "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
               "--abi", "abi3", "--abi", "none", "-d", str(WHEEL_CACHE)]
    for platform in PLATFORMS:
        command += ["--platform", platform]
    subprocess.run(command + pins, check=True, stdout=sys.stderr)
    found = []
    for pin in pins:
        name, _, wanted = pin.partition("==")
        stem = re.sub(r"[-_.]+", "_", name).lower()
        matches = [w for w in WHEEL_CACHE.glob("*.whl")
                   if re.sub(r"[-_.]+", "_", w.name.split("-")[0]).lower() == stem and w.name.split("-")[1] == wanted]
        if len(matches) != 1:
            raise PackageError(f"expected one wheel for {pin} in {WHEEL_CACHE}, found {[m.name for m in matches]}")
        found.append(matches[0])
    return found


def ensure_assets() -> None:
    """The tab's front-end vendor assets, when the project has an asset build (scripts/_assets.sh)."""
    script = ROOT / "scripts" / "_assets.sh"
    if script.exists():
        # Sourced the way scripts/test and scripts/demo source it: after _venv.sh (ROOT, PY, ensure_venv).
        subprocess.run(["bash", "-c", f'set -e; source "{ROOT}/scripts/_venv.sh"; source "{script}"; ensure_assets'],
                       check=True, cwd=ROOT, stdout=sys.stderr)


def _files(directory: Path):
    for path in sorted(directory.rglob("*")):
        if path.is_file() and not SKIP_DIRS.intersection(path.relative_to(ROOT).parts) \
                and path.suffix not in SKIP_SUFFIXES:
            yield path


def _add(archive: zipfile.ZipFile, path: Path, name: str) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))   # same bytes for the same tree
    executable = path.suffix == ".sh" or path.stat().st_mode & 0o111
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, path.read_bytes())


def build(out_dir: Path) -> Path:
    ensure_assets()
    target = out_dir / f"exfilwatch-{version()}.zip"
    built = wheels(shipped_requirements())
    out_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".zip.part")
    with zipfile.ZipFile(partial, "w") as archive:
        _add(archive, ROOT / "manifest.json", "manifest.json")
        for path in _files(ROOT / "app"):
            _add(archive, path, path.relative_to(ROOT).as_posix())
        for path in _files(ROOT / "container"):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith("container/pip/"):
                continue   # only what is built below: no README, no stray requirements file
            _add(archive, path, relative)
        for wheel in built:
            _add(archive, wheel, f"container/pip/{wheel.name}")
        ordering = "".join(f"{wheel.name}\n" for wheel in built)
        info = zipfile.ZipInfo("container/pip/ordering.txt", date_time=(2020, 1, 1, 0, 0, 0))
        info.external_attr = 0o100644 << 16
        archive.writestr(info, ordering)
    partial.replace(target)
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/package", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="folder for the zip (default: dist/)")
    args = parser.parse_args(argv)
    try:
        target = build(args.out.resolve())
    except (PackageError, subprocess.CalledProcessError) as error:
        print(f"scripts/package: {error}", file=sys.stderr)
        return 1
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
    print(json.dumps({"zip": str(target), "files": len(names),
                      "wheels": [n.split("/")[-1] for n in names if n.endswith(".whl")],
                      "bytes": target.stat().st_size}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
