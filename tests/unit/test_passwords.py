"""Production refuses guessable credentials, and says why without saying them."""

from __future__ import annotations

import pytest

from plantao import passwords
from plantao.config import ConfigurationError, load_settings

STRONG = "a-long-and-unguessable-one"


def load(tmp_path, **env):
    environ = {"PLANTAO_DATA_DIR": str(tmp_path / "var"), "ADMIN_PASSWORD": STRONG, **env}
    return load_settings(environ, dotenv_path=None)


@pytest.mark.parametrize(
    "password, reason",
    [
        ("a", "shorter than 12 characters"),
        ("Tr0ub4dor&3", "shorter than 12 characters"),
        ("qwerty123456", "most common passwords"),
        ("QWERTY123456", "most common passwords"),
        ("1qaz2wsx3edc", "most common passwords"),
    ],
)
def test_short_and_common_passwords_are_weak(password, reason):
    assert reason in passwords.weakness(password)


def test_a_long_uncommon_password_is_not():
    assert passwords.weakness(STRONG) is None
    assert passwords.weakness("correct horse battery staple") is None


@pytest.mark.parametrize("name", ["ADMIN_PASSWORD", "VIEWER_PASSWORD"])
@pytest.mark.parametrize("password", ["a", "short-pass1", "qwerty123456"])
def test_production_refuses_a_weak_password(tmp_path, name, password):
    with pytest.raises(ConfigurationError) as caught:
        load(tmp_path, PLANTAO_ENV="production", **{name: password})
    assert any(error.startswith(f"{name} ") for error in caught.value.errors)
    if len(password) > 1:  # one letter is in any sentence
        assert password not in str(caught.value)


def test_both_weak_passwords_are_reported_together_with_other_errors(tmp_path):
    with pytest.raises(ConfigurationError) as caught:
        load(tmp_path, PLANTAO_ENV="production", ADMIN_PASSWORD="a", VIEWER_PASSWORD="qwerty123456", PORT="x")
    message = str(caught.value)
    assert "ADMIN_PASSWORD is shorter than 12 characters" in message
    assert "VIEWER_PASSWORD is in the list of the most common passwords" in message
    assert "PORT must be a whole number" in message


def test_development_only_warns(tmp_path):
    settings = load(tmp_path, ADMIN_PASSWORD="a", VIEWER_PASSWORD="qwerty123456")
    assert len(settings.warnings) == 2
    assert all("refused with PLANTAO_ENV=production" in warning for warning in settings.warnings)


def test_production_accepts_strong_passwords_and_no_viewer_password(tmp_path):
    settings = load(tmp_path, PLANTAO_ENV="production", VIEWER_PASSWORD="another long unguessable one")
    assert settings.warnings == ()
    assert load(tmp_path, PLANTAO_ENV="production").viewer_password == ""


def test_session_max_age_hours(tmp_path):
    assert load(tmp_path).session_max_age_hours == 24
    assert load(tmp_path, SESSION_MAX_AGE_HOURS="8").session_max_age_hours == 8
    with pytest.raises(ConfigurationError, match="SESSION_MAX_AGE_HOURS"):
        load(tmp_path, SESSION_MAX_AGE_HOURS="0")
