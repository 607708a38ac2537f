"""Page templates compile one at a time.

Chameleon compiles a template into Python the first time it renders it.
On CPython before 3.13, two threads compiling at once can fail with
``SystemError: AST constructor recursion depth mismatch`` (python/cpython
issue 106905, seen as malthe/chameleon issue 387): right after ``serve``
starts, two readers opening the first pages together got a 500.  So
compiling takes a process-wide lock; rendering an already compiled template
(every request after the first few) never touches it.
"""

from __future__ import annotations

import functools
import sys
import threading

_lock = threading.RLock()


def serialize_compilation() -> None:
    """Make Chameleon's template compilation take turns (idempotent; nothing to do on CPython 3.13+)."""
    if sys.version_info >= (3, 13):
        return
    from chameleon.template import BaseTemplate

    original = BaseTemplate.cook
    if getattr(original, "plantao_serialized", False):
        return

    @functools.wraps(original)
    def cook(self, body):
        # Reentrant: compiling a template may load another (a macro file).
        with _lock:
            return original(self, body)

    cook.plantao_serialized = True  # type: ignore[attr-defined]
    BaseTemplate.cook = cook
