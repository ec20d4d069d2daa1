"""Wrong deployment settings are refused with the variable's name, never half-applied."""
import pytest

from app.config import AppConfig, ConfigError


def test_defaults_and_environment_values():
    config = AppConfig.from_env({"EXFILWATCH_PAGE_SIZE": " 250 ", "EXFILWATCH_SCHEDULER_ENABLED": "off",
                                 "EXFILWATCH_INITIAL_WAIT_S": "0.5"})
    assert (config.page_size, config.scheduler_enabled, config.initial_wait_s) == (250, False, 0.5)
    assert AppConfig.from_env({}).search_timeout_s == 600


@pytest.mark.parametrize("name, value, message", [
    ("EXFILWATCH_PAGE_SIZE", "ten", "EXFILWATCH_PAGE_SIZE='ten'"),
    ("EXFILWATCH_PAGE_SIZE", "0", "EXFILWATCH_PAGE_SIZE must be positive"),
    ("EXFILWATCH_PAGE_SIZE", "100000", "EXFILWATCH_PAGE_SIZE above 50000"),
    ("EXFILWATCH_SCHEDULER_ENABLED", "maybe", "EXFILWATCH_SCHEDULER_ENABLED='maybe'"),
    ("EXFILWATCH_INITIAL_WAIT_S", "-1", "cannot be negative"),
    ("EXFILWATCH_SEARCH_TIMEOUT_S", "1.5", "EXFILWATCH_SEARCH_TIMEOUT_S='1.5'"),
])
def test_wrong_values_name_the_variable(name, value, message):
    with pytest.raises(ConfigError) as refused:
        AppConfig.from_env({name: value})
    assert message in str(refused.value)
