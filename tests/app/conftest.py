"""Fixtures of the app's unit tests."""
import pytest

from app.store import Store


@pytest.fixture
def store(tmp_path):
    """A real store on a temporary file, migrated to the current schema."""
    s = Store(tmp_path / "s.db")
    yield s
    s.close()
