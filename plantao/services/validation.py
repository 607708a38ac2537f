"""Checking request bodies against JSON Schemas, with errors in plain words.

The same schemas describe the bodies in the OpenAPI document, so what the
API accepts and what it documents cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from .errors import Invalid

#: The largest id any table holds (a 32-bit INTEGER on every database); ids
#: beyond it cannot exist and are refused before reaching the database.
MAX_ID = 2**31 - 1

ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}

#: Text without control characters or line breaks (Unicode's included).  A
#: name is one line: it goes into calendar and e-mail header lines, CSV
#: cells and page titles, where a line break would split it.
SINGLE_LINE_PATTERN = "^[^\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029]*$"


def name_schema(max_length: int = 200) -> dict:
    """The schema of a name (a team's, a person's, a rotation's): one line, not empty."""
    return {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": SINGLE_LINE_PATTERN}


#: How much of an invalid value an error message shows: enough to recognise
#: it, never a whole (possibly megabytes long) body back to its sender.
PREVIEW_CHARACTERS = 60


def preview(value: Any) -> str:
    """``repr(value)``, cut to a short prefix that says how long the whole was."""
    if isinstance(value, str) and len(value) > PREVIEW_CHARACTERS:
        return f"{value[:PREVIEW_CHARACTERS]!r}… ({len(value)} characters)"
    shown = repr(value)
    if len(shown) > PREVIEW_CHARACTERS:
        return f"{shown[:PREVIEW_CHARACTERS]}… ({len(shown)} characters)"
    return shown


def _short(text: str) -> str:
    return text if len(text) <= PREVIEW_CHARACTERS else f"{text[:PREVIEW_CHARACTERS]}…"


def _field(error) -> str:
    return _short(_full_field(error))


def _full_field(error) -> str:
    path = ".".join(str(part) for part in error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        return f"{path}.{missing}" if path else missing
    if error.validator == "additionalProperties" and "'" in error.message:
        extra = error.message.split("'")[1]
        return f"{path}.{extra}" if path else extra
    return path or "(body)"


def _message(error) -> str:
    if error.validator == "required":
        return "is required"
    if error.validator == "additionalProperties":
        return "is not a known field"
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"must be of type {expected}, got {type(error.instance).__name__}"
    if error.validator == "enum":
        return f"must be one of {', '.join(map(str, error.validator_value))}"
    if error.validator == "pattern" and error.validator_value == SINGLE_LINE_PATTERN:
        return "must be a single line, without control characters"
    # jsonschema's own wording (the admin panel translates it), but with a
    # preview of the value where jsonschema quotes the whole of it.
    value = preview(error.instance)
    if error.validator in ("minLength", "minItems"):
        return f"{value} is too short"
    if error.validator in ("maxLength", "maxItems"):
        return f"{value} is too long"
    if error.validator == "minimum":
        return f"{value} is less than the minimum of {error.validator_value}"
    if error.validator == "maximum":
        return f"{value} is greater than the maximum of {error.validator_value}"
    if error.validator == "pattern":
        return f"{value} does not match {error.validator_value!r}"
    if error.validator == "uniqueItems":
        return f"{value} has non-unique elements"
    if error.validator == "const":
        return f"{preview(error.validator_value)} was expected"
    # Any other keyword: its message, which may quote the value, cut short.
    message = error.message
    return message if len(message) <= 2 * PREVIEW_CHARACTERS else f"{message[: 2 * PREVIEW_CHARACTERS]}…"


def schema_errors(schema: dict, instance: Any) -> list[dict]:
    """Every problem of ``instance`` as ``{"field", "message"}``, in a stable order."""
    validator = Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(instance), key=lambda e: (list(e.absolute_path), e.message))
    return [{"field": _field(error), "message": _message(error)} for error in errors]


def validate(schema: dict, instance: Any, what: str = "request body") -> None:
    """Raise :class:`Invalid` listing every problem of ``instance``."""
    errors = schema_errors(schema, instance)
    if errors:
        summary = "; ".join(f"{e['field']} {e['message']}" for e in errors[:5])
        raise Invalid(f"Invalid {what}: {summary}", errors)
