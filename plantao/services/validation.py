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


def _field(error) -> str:
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
    if error.validator in ("minLength", "maxLength", "minimum", "maximum", "pattern", "minItems"):
        return error.message
    return error.message


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
