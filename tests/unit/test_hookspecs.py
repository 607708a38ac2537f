"""Every hook is documented: a docstring in hookspecs.py and a section in docs/plugins.md."""

from __future__ import annotations

import inspect

import pytest

from plantao import hookspecs
from plantao.plugins import KINDS
from plantao.resources import PACKAGE_DIR

HOOKS = sorted(
    name
    for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
    if hasattr(function, "plantao_spec")
)
DOCS = (PACKAGE_DIR.parent / "docs" / "plugins.md").read_text()


def test_there_is_one_hook_per_kind_of_plugin():
    assert HOOKS == sorted(KINDS.values())


@pytest.mark.parametrize("hook", HOOKS)
def test_each_hook_has_a_docstring(hook):
    assert (getattr(hookspecs, hook).__doc__ or "").strip()


@pytest.mark.parametrize("hook", HOOKS)
def test_each_hook_has_a_docs_section_with_its_signature_and_an_example(hook):
    assert f"## {hook}\n" in DOCS
    section = DOCS.split(f"## {hook}\n", 1)[1].split("\n## ", 1)[0]
    assert f"def {hook}(" in section
    assert "@hookimpl" in section
