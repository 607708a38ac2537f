"""The CSV dialects, byte for byte: what Excel in each language opens in columns."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from plantao.spreadsheets import (
    DIALECTS,
    Column,
    dialect_for_language,
    dialect_language,
    dialect_param,
    format_cell,
    render_csv,
    spreadsheet_safe,
)

BOM = b"\xef\xbb\xbf"

COLUMNS = (
    Column("name", {"pt-BR": "Nome", "en": "Name"}),
    Column("hours", {"pt-BR": "Horas noturnas", "en": "Night hours"}, "hours"),
    Column("phone", {"pt-BR": "Telefone", "en": "Phone"}, "phone"),
    Column("amount", {"pt-BR": "Valor", "en": "Amount"}, "money"),
    Column("start", {"pt-BR": "Início", "en": "Start"}, "datetime"),
    Column("shifts", {"pt-BR": "Plantões", "en": "Shifts"}, "integer"),
)

ROWS = (
    {"name": "Ana Souza", "hours": 12.5, "phone": "+5511912345678", "amount": Decimal("1234.5"),
     "start": datetime(2026, 3, 2, 12, tzinfo=timezone.utc), "shifts": 3},
    {"name": "=HYPERLINK(\"http://x\")", "hours": timedelta(hours=7, minutes=20), "phone": "+14155550123",
     "amount": 0.125, "start": date(2026, 3, 1), "shifts": None},
    {"name": "João; Silva", "hours": Decimal("0"), "phone": None},
)


def test_excel_br_is_semicolons_decimal_commas_portuguese_headers_and_a_bom():
    body = render_csv(COLUMNS, ROWS, "excel-br", timezone=ZoneInfo("America/Sao_Paulo"))
    assert body == BOM + (
        "Nome;Horas noturnas;Telefone;Valor;Início;Plantões\r\n"
        "Ana Souza;12,50;(11) 91234-5678;1234,50;2026-03-02 09:00;3\r\n"
        "\"'=HYPERLINK(\"\"http://x\"\")\";7,33;'+14155550123;0,13;2026-03-01;\r\n"
        "\"João; Silva\";0,00;;;;\r\n"
    ).encode("utf-8")


def test_excel_is_commas_decimal_points_english_headers_and_phones_as_stored_text():
    body = render_csv(COLUMNS, ROWS, "excel", timezone=ZoneInfo("America/Sao_Paulo"))
    assert body == BOM + (
        "Name,Night hours,Phone,Amount,Start,Shifts\r\n"
        "Ana Souza,12.50,'+5511912345678,1234.50,2026-03-02 09:00,3\r\n"
        "\"'=HYPERLINK(\"\"http://x\"\")\",7.33,'+14155550123,0.13,2026-03-01,\r\n"
        "João; Silva,0.00,,,,\r\n"
    ).encode("utf-8")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_spreadsheet_reads_back_the_rows_it_was_given(dialect):
    body = render_csv(COLUMNS, ROWS, dialect)
    assert body.startswith(BOM)
    text = body.decode("utf-8-sig")
    delimiter = ";" if dialect == "excel-br" else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    assert len(rows) == 1 + len(ROWS) and {len(row) for row in rows} == {len(COLUMNS)}
    assert rows[3][0] == "João; Silva"


def test_without_a_timezone_datetimes_are_written_in_their_own():
    column = Column("at", {"en": "At"}, "datetime")
    moment = datetime(2026, 3, 2, 12, 30, tzinfo=timezone.utc)
    assert format_cell(column, moment, "excel") == "2026-03-02 12:30"
    assert format_cell(column, moment, "excel", ZoneInfo("America/Sao_Paulo")) == "2026-03-02 09:30"


@pytest.mark.parametrize(
    ("value", "br", "en"),
    [
        (12.5, "12,50", "12.50"),
        (Decimal("2.005"), "2,01", "2.01"),  # half up, as people round by hand
        (7, "7,00", "7.00"),
        ("3.25", "3,25", "3.25"),
        (-1.5, "-1,50", "-1.50"),
        (-0.001, "0,00", "0.00"),
        (timedelta(hours=36), "36,00", "36.00"),
    ],
)
def test_numbers_have_two_decimals_with_the_dialects_mark(value, br, en):
    hours = Column("h", {"en": "Hours"}, "hours")
    assert format_cell(hours, value, "excel-br") == br
    assert format_cell(hours, value, "excel") == en


def test_a_negative_number_is_a_number_not_a_neutralised_formula():
    money = Column("m", {"en": "Money"}, "money")
    assert format_cell(money, -12.5, "excel-br") == "-12,50"


@pytest.mark.parametrize("value", ["abc", float("nan"), object(), True])
def test_a_number_column_refuses_what_is_not_a_number(value):
    with pytest.raises((TypeError, ValueError)):
        format_cell(Column("d", {"en": "D"}, "decimal"), value, "excel")


@pytest.mark.parametrize(
    ("stored", "br", "en"),
    [
        # Excel in English keeps every stored number, as text.
        ("+5511912345678", "(11) 91234-5678", "'+5511912345678"),
        ("+551133334444", "(11) 3333-4444", "'+551133334444"),
        ("+14155550123", "'+14155550123", "'+14155550123"),
        ("+351912345678", "'+351912345678", "'+351912345678"),
        # Numbers stored before phones were validated: written as text, never run.
        ("ramal 12", "ramal 12", "ramal 12"),
        ("=1+1", "'=1+1", "'=1+1"),
        ("", "", ""),
    ],
)
def test_phones(stored, br, en):
    phone = Column("p", {"en": "Phone"}, "phone")
    assert format_cell(phone, stored, "excel-br") == br
    assert format_cell(phone, stored, "excel") == en


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("text", ["=SUM(A1:A9)", "+cmd|' /C calc'!A0", "-2+3+cmd", "@SUM(1)", "\tx"])
def test_text_that_starts_like_a_formula_is_neutralised_in_both_dialects(dialect, text):
    assert format_cell(Column("t", {"en": "T"}), text, dialect) == "'" + text
    header = Column("t", {"pt-BR": "=evil()", "en": "=evil()"})
    assert render_csv([header], [], dialect).startswith(BOM + b"'=evil()")


def test_the_formula_guard_leaves_phone_like_text_alone():
    assert spreadsheet_safe("+55 11 91234-5678") == "+55 11 91234-5678"
    assert spreadsheet_safe(None) == ""


def test_a_header_missing_in_a_language_falls_back_to_the_other_then_the_key():
    assert Column("x", {"pt-BR": "Só em português"}).title("en") == "Só em português"
    assert Column("x", {}).title("pt-BR") == "x"


def test_an_unknown_column_kind_is_refused_when_declared():
    with pytest.raises(ValueError, match="unknown kind 'percent'"):
        Column("x", {"en": "X"}, "percent")


def test_dialect_param():
    assert dialect_param(None, "excel-br") == "excel-br"
    assert dialect_param("", None) is None
    assert dialect_param("excel", "excel-br") == "excel"
    with pytest.raises(ValueError, match="unknown CSV dialect 'xlsx': use one of excel-br, excel"):
        dialect_param("xlsx", "excel-br")
    with pytest.raises(ValueError, match="unknown CSV dialect 'EXCEL'"):
        dialect_param("EXCEL", None)


def test_render_csv_refuses_an_unknown_or_missing_dialect():
    with pytest.raises(ValueError, match="unknown CSV dialect 'excel-pt'"):
        render_csv(COLUMNS, ROWS, "excel-pt")
    with pytest.raises(ValueError, match="a CSV dialect is required"):
        render_csv(COLUMNS, ROWS, "")


@pytest.mark.parametrize(
    ("language", "dialect"),
    [("pt-BR", "excel-br"), ("pt_BR", "excel-br"), ("pt", "excel-br"), ("en", "excel"), ("en-US", "excel"),
     ("de", "excel"), ("", "excel")],
)
def test_dialect_for_language(language, dialect):
    assert dialect_for_language(language) == dialect


def test_dialect_language():
    assert dialect_language("excel-br") == "pt-BR"
    assert dialect_language("excel") == "en"
