"""The pt-BR catalogues follow the glossary (docs/glossario.md), one term per concept.

The glossary is a table: an English term, its Portuguese term, the words
not to use for it, and whether the term is checked message by message (an
English word with a second meaning, the verb "leave", is not).  Every
pt-BR message whose English text uses a term is translated with that term's
Portuguese word (when checked) and never with a word the row rules out.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
GLOSSARY = ROOT / "docs" / "glossario.md"
CATALOGUES = sorted((ROOT / "plantao" / "locale" / "pt_BR" / "LC_MESSAGES").glob("*.po"))
PLACEHOLDER = re.compile(r"\$\{[^}]*\}")


def folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def stem(word: str) -> str:
    """Enough of a Portuguese word to match its plural and verb forms: substituição, substituições."""
    word = folded(word.strip())
    return word[: max(5, len(word) - 3)]


def glossary_rows() -> list[dict]:
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("Inglês", "---"):
            continue
        english, portuguese, avoid, checked = cells
        rows.append({
            "english": re.sub(r"\s*\(.*\)", "", english),
            "portuguese": [stem(w) for w in re.split(r"[,;]", re.sub(r"\(.*?\)", "", portuguese)) if w.strip()],
            "avoid": [folded(w.strip()) for w in re.split(r"[,;]", avoid) if w.strip()],
            "checked": checked == "sim",
        })
    return rows


def messages() -> list[tuple[str, str, str]]:
    found = []
    for path in CATALOGUES:
        with path.open("rb") as handle:
            for message in read_po(handle):
                if message.id and isinstance(message.id, str) and message.string:
                    found.append((path.stem, PLACEHOLDER.sub("", message.id), message.string))
    return found


ROWS = glossary_rows()


def test_the_glossary_is_read():
    terms = {row["english"] for row in ROWS}
    assert {"handoff", "override", "swap", "leave", "gap", "rotation", "roster"} <= terms
    assert len(messages()) > 500


@pytest.mark.parametrize("row", ROWS, ids=[row["english"] for row in ROWS])
def test_each_message_uses_the_glossary_term(row):
    english = re.compile(rf"\b{re.escape(row['english'])}(s|'s)?\b", re.IGNORECASE)
    wrong = []
    for domain, msgid, msgstr in messages():
        if not english.search(msgid):
            continue
        text = folded(msgstr)
        if row["checked"] and not any(word in text for word in row["portuguese"]):
            wrong.append((domain, msgid, msgstr))
        if any(re.search(rf"\b{re.escape(word)}", text) for word in row["avoid"]):
            wrong.append((domain, msgid, msgstr))
    assert not wrong, wrong
