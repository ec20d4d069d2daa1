"""scripts/_venv.sh repairs a virtual environment whose creation was interrupted (Ctrl-C during
`python -m venv` leaves one without pip; every later run then failed with `No module named pip`)."""
import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_venv_without_pip_is_made_again(tmp_path):
    clone = tmp_path / "clone"
    (clone / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "_venv.sh", clone / "scripts" / "_venv.sh")
    for name in ("requirements-base-image.txt", "requirements.txt"):
        (clone / name).write_text("# nothing to install in this test\n")
    (clone / "requirements-dev.txt").write_text("-r requirements-base-image.txt\n-r requirements.txt\n")
    # The SQLite library this checkout already built (the step under test is the venv, not the build).
    (clone / ".cache").symlink_to(ROOT / ".cache")
    subprocess.run(["python3", "-m", "venv", "--without-pip", str(clone / ".venv")], check=True)   # interrupted
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    done = subprocess.run(["bash", "-c", 'set -e; source scripts/_venv.sh; ensure_venv; "$PY" -m pip --version'],
                          cwd=clone, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "incomplete" in done.stderr and done.stdout.startswith("pip ")
    again = subprocess.run(["bash", "-c", "set -e; source scripts/_venv.sh; ensure_venv"], cwd=clone, env=env,
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "incomplete" not in again.stderr and "creating" not in again.stderr
