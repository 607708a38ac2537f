"""The message catalogues: compiled, complete, and covering every text.

The ``.mo`` files are committed (the wheel ships them as they are), so this
test fails when a ``.po`` changed without recompiling: run
``pybabel compile -d plantao/locale -D <domain>`` for the domain it names.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

REPO = Path(__file__).parents[2]
LOCALE_DIR = REPO / "plantao" / "locale"
CATALOGUES = sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))

#: ``_('text')`` in templates and the pages' views, and Chameleon's explicit
#: ``i18n:translate="text"`` msgids.
CALLS = re.compile(r"""(?<![\w.])_\(\s*(['"])(?P<msgid>.+?)(?<!\\)\1""")
TRANSLATE_ATTRIBUTES = re.compile(r"""i18n:translate=(['"])(?P<msgid>[^'"]+)\1""")


def read(path: Path):
    with path.open("rb") as handle:
        return read_po(handle, locale=path.parts[-3], domain=path.stem)


def ids(path: Path) -> str:
    return path.relative_to(LOCALE_DIR).as_posix()


def test_there_are_catalogues_for_both_languages():
    domains = {(p.parts[-3], p.stem) for p in CATALOGUES}
    assert ("pt_BR", "plantao") in domains and ("en", "plantao") in domains


@pytest.mark.parametrize("po", CATALOGUES, ids=ids)
def test_the_committed_mo_is_compiled_from_the_po(po):
    mo = po.with_suffix(".mo")
    assert mo.is_file(), f"{mo} is missing: compile {po}"
    compiled = io.BytesIO()
    write_mo(compiled, read(po))
    assert compiled.getvalue() == mo.read_bytes(), f"{mo} is stale: recompile it from {po}"


@pytest.mark.parametrize("po", [p for p in CATALOGUES if p.parts[-3] == "pt_BR"], ids=ids)
def test_portuguese_is_complete(po):
    catalog = read(po)
    untranslated = [m.id for m in catalog if m.id and not m.string]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not untranslated, f"untranslated in {ids(po)}: {untranslated}"
    assert not fuzzy, f"fuzzy in {ids(po)}: {fuzzy}"


def used_msgids() -> set[str]:
    sources = [p for p in (REPO / "templates").glob("*.pt")] + [REPO / "plantao" / "views" / "pages.py"]
    found = set()
    for source in sources:
        text = source.read_text(encoding="utf-8")
        found |= {m.group("msgid") for m in CALLS.finditer(text)}
        found |= {m.group("msgid") for m in TRANSLATE_ATTRIBUTES.finditer(text)}
    return found


@pytest.mark.parametrize("locale", ["pt_BR", "en"])
def test_every_text_of_the_pages_is_in_the_catalogue(locale):
    catalog = read(LOCALE_DIR / locale / "LC_MESSAGES" / "plantao.po")
    used = used_msgids()
    assert len(used) > 20
    missing = sorted(msgid for msgid in used if msgid not in catalog)
    assert not missing, f"not in {locale}/plantao.po: {missing}"
