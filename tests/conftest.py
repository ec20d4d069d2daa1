"""Shared fixtures. Keep this small: suite-specific fixtures live in each folder's own conftest."""
import pytest

from devtools.simproc import SimProcess


@pytest.fixture
def start_sim():
    """Factory: start_sim(**SimProcess kwargs) -> a started SimProcess, stopped after the test."""
    started = []

    def start(**kw):
        sim = SimProcess(**kw).start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.__exit__(None, None, None)


@pytest.fixture
def sim(start_sim):
    """One stand-in with an empty event store (tests add what they need)."""
    return start_sim(empty=True)
