"""STANDBY_FACTOR: the share of the normal hour standby is paid at (the hours report's value column)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from plantao.config import ConfigurationError, load_settings


def load(tmp_path, value: str | None):
    environ = {"PLANTAO_DATA_DIR": str(tmp_path)}
    if value is not None:
        environ["STANDBY_FACTOR"] = value
    return load_settings(environ, dotenv_path=None)


def test_a_third_by_default(tmp_path):
    assert load(tmp_path, None).standby_factor == Fraction(1, 3)
    assert load(tmp_path, "").standby_factor == Fraction(1, 3)


@pytest.mark.parametrize(
    ("value", "factor"),
    [("1/3", Fraction(1, 3)), (" 2 / 3 ", Fraction(2, 3)), ("0.3333", Fraction(3333, 10000)), ("1", Fraction(1)),
     ("0", Fraction(0)), (".5", Fraction(1, 2))],
)
def test_a_fraction_or_a_decimal(tmp_path, value, factor):
    assert load(tmp_path, value).standby_factor == factor


@pytest.mark.parametrize("value", ["4/3", "1.5", "-0.1", "1/0", "um terço", "1/3/4", "0,33", "nan"])
def test_anything_else_stops_start_up_with_a_clear_message(tmp_path, value):
    with pytest.raises(ConfigurationError, match="STANDBY_FACTOR must be a fraction like 1/3 or a decimal"):
        load(tmp_path, value)
