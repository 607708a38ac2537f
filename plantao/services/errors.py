"""Errors a service raises for a caller's mistake, with the HTTP status they mean.

Views turn them into ``{"error": ..., "details": ...}`` responses; the CLI
prints them.  Nothing is written when one is raised: the transaction aborts.

Besides its English ``message``, an error (and each :class:`Detail` of it)
may carry a stable ``code`` and its ``params``: what the admin panel
translates, so that rewording a message cannot silently untranslate it.
Codes never reach the JSON API, whose answers show messages only.
"""

from __future__ import annotations

from typing import Any


class Detail(dict):
    """One problem of a request: ``{"field", "message"}``, plus ``code`` and ``params``.

    It *is* the dict the API answers with (extra keys such as ``available``
    included, in the order given), so adding a code changes no answer; the
    code and its params ride along as attributes.
    """

    def __init__(self, field: str, message: str, code: str | None = None, params: dict | None = None, **extra: Any):
        super().__init__(field=field, message=message, **extra)
        self.code = code
        self.params = dict(params or {})

    @classmethod
    def of(cls, field: str, error: Exception) -> Detail:
        """The detail of ``field`` for a lower-level ``error`` with a ``code`` (DateTimeError, InvalidPhone)."""
        return cls(field, str(error), getattr(error, "code", None), getattr(error, "params", None))


class ServiceError(Exception):
    """Base class: a plain-words ``message``, optional structured ``details``, a ``code`` and its ``params``."""

    status = 400

    def __init__(self, message: str, details: Any = None, *, code: str | None = None, params: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details
        self.code = code
        self.params = dict(params or {})


class BadRequest(ServiceError):
    """The request cannot be read (malformed JSON, a bad query parameter)."""

    status = 400


class NotFound(ServiceError):
    """What the request names does not exist."""

    status = 404


class Conflict(ServiceError):
    """The request clashes with stored data (a taken slug, overlapping leave)."""

    status = 409


class Invalid(ServiceError):
    """The request is readable but its content is wrong (schema, ranges, ids)."""

    status = 422
