"""Shared fixtures. Keep this small: suite-specific fixtures live in each folder's own conftest."""
import pytest

from devtools.simproc import SimProcess
from tests import reliability as _reliability
from tests.reliability import reliability  # noqa: F401  (the fixture, for every folder)


def pytest_configure(config):
    config.addinivalue_line("markers", "reliability(suite, case): a case of docs/reliability.md (tests/reliability.py)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _reliability.record(item, outcome.get_result())


def pytest_sessionfinish(session, exitstatus):
    _reliability.flush()


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
