"""TEMPORARY: re-exports the stand-in launcher until it moves here from tests/simharness.py."""
from tests.simharness import SimProcess, SimStartError, wait_until  # noqa: F401
