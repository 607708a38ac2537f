"""CSV dialects: the one way every CSV of Plantão is written.

A spreadsheet opened with a double-click is read with the settings of the
reader's computer, so the same file cannot suit everybody:

``excel-br``
    What Excel in Brazilian Portuguese expects: cells separated by ``;``
    (the comma is the decimal separator there), numbers with a decimal comma
    (``12,50``), headers in Brazilian Portuguese, Brazilian phones in
    national format (``(11) 91234-5678``) and any other phone prefixed with
    ``'`` so it stays text instead of becoming a number.
``excel``
    Excel (or any spreadsheet) in English: cells separated by ``,``, numbers
    with a decimal point (``12.50``), English headers, phones as stored
    (E.164) prefixed with ``'``, or Excel would show ``+14155550123`` as
    ``1.42E+10``.

Both are UTF-8 with a byte-order mark (without it Excel reads UTF-8 as the
machine's legacy code page and mangles every accent), end rows with CRLF
and quote only the cells that need it.  In both, a text cell that a
spreadsheet would run as a formula is neutralised (see
:func:`spreadsheet_safe`).

This module knows nothing of the database or the web: built-in plugins
and plugin authors use it as they use :mod:`plantao.plugin_api`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import phonenumbers

#: The dialects, as the ``dialect`` parameter of a CSV names them.
DIALECTS = ("excel-br", "excel")
#: The language of each dialect's headers.
DIALECT_LANGUAGES = {"excel-br": "pt-BR", "excel": "en"}
#: The dialect of the reports' CSVs (hours, fairness) without ``dialect``:
#: payroll and HR work in Excel in Portuguese.
REPORT_DIALECT = "excel-br"
#: The column kinds :func:`render_csv` knows how to write.
KINDS = ("text", "integer", "decimal", "hours", "money", "phone", "datetime")
#: A JSON-schema property for a ``dialect`` parameter (export formats' params_schema).
DIALECT_SCHEMA = {
    "enum": list(DIALECTS),
    "title": "Dialect",
    "description": "excel-br: ';', decimal comma, pt-BR headers (Excel in Brazilian Portuguese); "
    "excel: ',', decimal point, English headers.",
}
MEDIA_TYPE = "text/csv"

_SEPARATORS = {"excel-br": ";", "excel": ","}
_DECIMAL_MARKS = {"excel-br": ",", "excel": "."}
_CENTS = Decimal("0.01")

# Spreadsheets run a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A cell made only of these cannot hold a function call (a phone number).
_HARMLESS = set("0123456789 +-().")


@dataclass(frozen=True)
class Column:
    """One column of a CSV: where its values come from, its header, how it is written.

    ``header`` maps a language (``pt-BR``, ``en``) to the header in it;
    ``kind`` is one of :data:`KINDS`.
    """

    key: str
    header: Mapping[str, str]
    kind: str = "text"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"column {self.key!r}: unknown kind {self.kind!r} (one of {', '.join(KINDS)})")

    def title(self, language: str) -> str:
        """The header in ``language``, else in the other language we ship, else the key."""
        return self.header.get(language) or next(iter(self.header.values()), None) or self.key


def dialect_param(value: str | None, default: str | None) -> str | None:
    """The dialect a ``dialect`` parameter names; ``default`` when it is absent or empty.

    :raises ValueError: with a message fit for the reader when the dialect is unknown.
    """
    if value is None or value == "":
        return default
    if value not in DIALECTS:
        raise ValueError(f"unknown CSV dialect {value!r}: use one of {', '.join(DIALECTS)}")
    return value


def dialect_for_language(language: str) -> str:
    """The dialect for a reader of ``language``: ``excel-br`` for Portuguese, else ``excel``.

    Takes the locale either way it is spelled (``pt-BR``, ``pt_BR``, ``pt``).
    """
    base = (language or "").replace("_", "-").split("-")[0].lower()
    return "excel-br" if base == "pt" else "excel"


def dialect_language(dialect: str) -> str:
    """The language of ``dialect``'s headers (``pt-BR`` or ``en``)."""
    return DIALECT_LANGUAGES[dialect_param(dialect, None)]


def spreadsheet_safe(value) -> str:
    """``value`` as text that no spreadsheet runs as a formula.

    Text that starts like a formula and holds anything but digits and phone
    punctuation is prefixed with an apostrophe (the OWASP advice).
    """
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_STARTS) and not set(text) <= _HARMLESS:
        return "'" + text
    return text


def _number(value, kind: str) -> Decimal:
    if isinstance(value, timedelta) and kind == "hours":
        return Decimal(int(value.total_seconds())) / 3600
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise TypeError(f"a {kind} cell takes a number, not {type(value).__name__}")
    try:
        # str() first: a float's shortest repr (12.345), not its binary expansion.
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"a {kind} cell takes a number, not {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"a {kind} cell takes a finite number, not {value!r}")
    return number


def _decimal(value, kind: str, dialect: str) -> str:
    # Two decimals, rounded half up the way people round money and hours by hand.
    text = f"{_number(value, kind).quantize(_CENTS, rounding=ROUND_HALF_UP):f}"
    if text.startswith("-") and not text.strip("-0."):
        text = text[1:]  # -0.00 is 0.00
    return text.replace(".", _DECIMAL_MARKS[dialect])


def _phone(value, dialect: str) -> str:
    text = str(value).strip()
    if not text:
        return text
    try:
        # Phones are stored in E.164; anything else (typed before they were
        # validated) is not guessed at and goes out as the text it is.
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return spreadsheet_safe(text)
    if number.country_code == 55 and dialect == "excel-br":
        if not phonenumbers.is_possible_number(number):
            return spreadsheet_safe(text)
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    # Without the apostrophe Excel turns +14155550123 into 1,4E+10.
    return "'" + text


def _datetime(value, timezone: tzinfo | None) -> str:
    if isinstance(value, datetime):
        if timezone is not None and value.tzinfo is not None:
            value = value.astimezone(timezone)
        # Excel reads ISO dates as dates in every language; minutes are all a roster needs.
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return spreadsheet_safe(value)


def format_cell(column: Column, value: Any, dialect: str, timezone: tzinfo | None = None) -> str:
    """``value`` written as ``column``'s kind in ``dialect``; ``None`` is an empty cell."""
    if value is None:
        return ""
    kind = column.kind
    if kind == "text":
        return spreadsheet_safe(value)
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise TypeError(f"column {column.key!r}: an integer cell takes an int, not {type(value).__name__}")
        return str(int(value))
    if kind in ("decimal", "hours", "money"):
        return _decimal(value, kind, dialect)
    if kind == "phone":
        return _phone(value, dialect)
    return _datetime(value, timezone)


def render_csv(
    columns: Sequence[Column],
    rows: Iterable[Mapping[str, Any]],
    dialect: str,
    *,
    timezone: tzinfo | None = None,
) -> bytes:
    """The CSV of ``rows`` in ``dialect``: a header row, then one row per mapping.

    Each row maps a column's ``key`` to its value (a missing key is an empty
    cell).  ``timezone``, when given, is the zone aware datetimes are written
    in; otherwise they are written in their own.

    :raises ValueError: for an unknown dialect or a value its column cannot hold.
    """
    dialect = dialect_param(dialect, None)
    if dialect is None:
        raise ValueError(f"a CSV dialect is required: use one of {', '.join(DIALECTS)}")
    language = DIALECT_LANGUAGES[dialect]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=_SEPARATORS[dialect], lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(spreadsheet_safe(column.title(language)) for column in columns)
    for row in rows:
        writer.writerow(format_cell(column, row.get(column.key), dialect, timezone) for column in columns)
    return out.getvalue().encode("utf-8-sig")
