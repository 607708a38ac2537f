"""Checking request bodies against JSON Schemas, with errors in plain words.

The same schemas describe the bodies in the OpenAPI document, so what the
API accepts and what it documents cannot drift apart.  Each problem is a
:class:`~plantao.services.errors.Detail` whose code comes from the JSON
Schema keyword that failed (``minimum``, ``too_long``, ``type.integer``...),
which is what the admin panel translates.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from .errors import Detail, Invalid

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
    # jsonschema's own wording (what API clients have always read), but with
    # a preview of the value where jsonschema quotes the whole of it.
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


#: The codes of JSON Schema keywords whose name is not already one.
_KEYWORD_CODES = {
    "additionalProperties": "unknown_field",
    "minLength": "too_short",
    "minItems": "too_short",
    "maxLength": "too_long",
    "maxItems": "too_long",
    "uniqueItems": "unique_items",
}

#: Types whose mismatch has a code of its own (``type.integer``): the admin
#: panel asks for a number or a yes/no there rather than "the wrong type".
_TYPE_CODES = {"integer": "type.integer", "number": "type.number", "boolean": "type.boolean"}


def _code(error) -> tuple[str, dict]:
    """The stable code of a jsonschema error and its params, from its keyword and the keyword's value."""
    keyword, expected = error.validator, error.validator_value
    if keyword == "type":
        # The first type listed is what the field is for (["integer", "null"]: a number or nothing).
        first = expected[0] if isinstance(expected, list) and expected else expected
        return _TYPE_CODES.get(first, "type"), {"expected": expected}
    if keyword == "enum":
        return "enum", {"options": ", ".join(map(str, expected))}
    if keyword in ("minimum", "maximum"):
        return keyword, {"limit": expected}
    if keyword in ("minLength", "minItems", "maxLength", "maxItems"):
        return _KEYWORD_CODES[keyword], {"limit": expected}
    if keyword == "minProperties" and expected == 1:
        # jsonschema says "should be non-empty": an object that must say something.
        return "too_short", {"limit": expected}
    if keyword == "pattern" and expected == SINGLE_LINE_PATTERN:
        return "single_line", {}
    if keyword == "pattern":
        return "pattern", {"pattern": expected}
    return _KEYWORD_CODES.get(keyword, keyword), {}


def _detail(error) -> Detail:
    code, params = _code(error)
    return Detail(_field(error), _message(error), code, params)


def schema_errors(schema: dict, instance: Any) -> list[Detail]:
    """Every problem of ``instance`` as a :class:`Detail` (``{"field", "message"}``), in a stable order."""
    validator = Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(instance), key=lambda e: (list(e.absolute_path), e.message))
    return [_detail(error) for error in errors]


def validate(schema: dict, instance: Any, what: str = "request body") -> None:
    """Raise :class:`Invalid` listing every problem of ``instance`` (code ``schema``)."""
    errors = schema_errors(schema, instance)
    if errors:
        summary = "; ".join(f"{e['field']} {e['message']}" for e in errors[:5])
        raise Invalid(f"Invalid {what}: {summary}", errors, code="schema")
