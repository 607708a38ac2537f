"""Fixtures of the notification tests (defined in notification_support.py, shared with the tests)."""

from notification_support import receiver, roster, session_factory, smtp, write  # noqa: F401
