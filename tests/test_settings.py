"""Settings from the environment: an empty variable means "not set", a bad
value is one line naming the variable, never a pydantic traceback."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from api.settings import ApiSettings, get_api_settings
from recommender.settings import SettingsError, get_settings


def test_an_empty_number_or_flag_means_the_default(monkeypatch):
    for variable in ("FINBOT_PORT", "FINBOT_WORKERS", "FINBOT_MODEL_POLL_SECONDS", "FINBOT_DEMO_MODE", "FINBOT_MODEL"):
        monkeypatch.setenv(variable, "")
    monkeypatch.setenv("FINBOT_IMPORT_CHUNK_ROWS", "  ")
    settings = get_api_settings()
    defaults = ApiSettings.__fields__
    assert settings.port == defaults["port"].default == 8000
    assert settings.workers == defaults["workers"].default
    assert settings.model_poll_seconds == defaults["model_poll_seconds"].default
    assert settings.demo_mode is False and settings.model is None
    assert get_settings().import_chunk_rows == 50_000


def test_set_values_are_still_read(monkeypatch):
    monkeypatch.setenv("FINBOT_PORT", "8123")
    monkeypatch.setenv("FINBOT_DEMO_MODE", "1")
    settings = get_api_settings()
    assert settings.port == 8123 and settings.demo_mode is True


@pytest.mark.parametrize(
    "variable, value, says",
    [
        ("FINBOT_PORT", "eighty", "FINBOT_PORT='eighty': value is not a valid integer"),
        ("FINBOT_TRACKER_CACHE_SIZE", "-1", "FINBOT_TRACKER_CACHE_SIZE='-1': ensure this value is greater than or equal to 0"),
    ],
)
def test_a_bad_value_names_the_variable(monkeypatch, variable, value, says):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        get_api_settings()
    assert says in str(caught.value)


def test_the_cli_reports_a_bad_value_in_one_line_with_exit_code_2(tmp_path):
    env = {"FINBOT_DATA_DIR": str(tmp_path), "FINBOT_WORKERS": "two", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "models", "list"], env=env, cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "finbot: invalid configuration: FINBOT_WORKERS='two': value is not a valid integer"
