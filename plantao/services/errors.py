"""Errors a service raises for a caller's mistake, with the HTTP status they mean.

Views turn them into ``{"error": ..., "details": ...}`` responses; the CLI
prints them.  Nothing is written when one is raised: the transaction aborts.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """Base class: a plain-words ``message`` and optional structured ``details``."""

    status = 400

    def __init__(self, message: str, details: Any = None):
        super().__init__(message)
        self.message = message
        self.details = details


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
