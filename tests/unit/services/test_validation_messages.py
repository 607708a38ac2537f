"""Schema errors say what is wrong without repeating a huge value back."""

from __future__ import annotations

import pytest

from plantao.services.validation import PREVIEW_CHARACTERS, preview, schema_errors

HUGE = "x" * 1_000_000


def test_preview_keeps_short_values_whole_and_cuts_long_ones():
    assert preview("abc") == "'abc'"
    assert preview(42) == "42"
    shown = preview(HUGE)
    assert shown.startswith("'xxx") and shown.endswith("(1000000 characters)")
    assert len(shown) < PREVIEW_CHARACTERS + 40
    assert len(preview(list(range(100_000)))) < PREVIEW_CHARACTERS + 40


@pytest.mark.parametrize(
    "schema, instance",
    [
        ({"type": "string", "maxLength": 10}, HUGE),
        ({"type": "string", "pattern": "^[a-z]{1,3}$"}, HUGE),
        ({"type": "string", "format": "email", "pattern": "@"}, HUGE),
        ({"enum": ["a", "b"]}, HUGE),
        ({"const": "a"}, HUGE),
        ({"type": "array", "maxItems": 1}, [HUGE, HUGE]),
        ({"type": "array", "uniqueItems": True}, [HUGE, HUGE]),
        ({"not": {"type": "string"}}, HUGE),
        ({"type": "object", "additionalProperties": False}, {HUGE: 1}),
        ({"type": "object", "properties": {"a": {"type": "object", "required": [HUGE]}}}, {"a": {}}),
    ],
)
def test_no_message_or_field_quotes_more_than_a_prefix(schema, instance):
    (error,) = schema_errors(schema, instance)
    assert len(error["message"]) <= 3 * PREVIEW_CHARACTERS, error["message"][:500]
    assert len(error["field"]) <= 2 * PREVIEW_CHARACTERS, error["field"][:500]


def test_messages_keep_jsonschema_wording_for_short_values():
    """API clients read these messages; the admin panel translates their codes instead."""
    (error,) = schema_errors({"type": "string", "maxLength": 10}, "y" * 11)
    assert error == {"field": "(body)", "message": "'yyyyyyyyyyy' is too long"}
    (error,) = schema_errors({"type": "integer", "minimum": 1}, 0)
    assert error["message"] == "0 is less than the minimum of 1"
    (error,) = schema_errors({"type": "string", "pattern": "^a"}, "b")
    assert error["message"] == "'b' does not match '^a'"
