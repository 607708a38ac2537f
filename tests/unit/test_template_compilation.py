"""Page templates compile one at a time (concurrent compiles can fail on CPython 3.11)."""

from __future__ import annotations

import sys
import threading
import time

import pytest
from chameleon import PageTemplate
from chameleon.template import BaseTemplate

from plantao.template_compilation import serialize_compilation


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="CPython 3.13 compiles concurrently without failing")
def test_two_threads_never_compile_at_the_same_time(monkeypatch):
    busy = []
    overlaps = []

    def slow_cook(self, body):
        if busy:
            overlaps.append(body)
        busy.append(body)
        time.sleep(0.05)
        busy.remove(body)

    monkeypatch.setattr(BaseTemplate, "cook", slow_cook)
    serialize_compilation()
    assert getattr(BaseTemplate.cook, "plantao_serialized", False)
    threads = [threading.Thread(target=BaseTemplate.cook, args=(None, f"<p>{n}</p>")) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == []
    serialize_compilation()  # idempotent: wrapped once
    assert BaseTemplate.cook.__wrapped__ is slow_cook


def test_templates_still_render():
    serialize_compilation()
    assert PageTemplate("<p>${name}</p>")(name="Ana") == "<p>Ana</p>"
