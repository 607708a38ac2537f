"""The CSV export's dialects, and the pages' spreadsheet links, on SQLite and PostgreSQL.

``export.csv?dialect=excel-br`` is what Excel in Brazilian Portuguese opens in
columns on a double-click; ``dialect=excel`` the same for English; without
``dialect`` the API keeps the comma-separated columns integrators rely on.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import webtest

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
BOM = "\ufeff"
API_HEADER = (
    "id,team,role,person_id,person,email,phone,start,end,timezone,start_iso,end_iso,source,rotation_id,"
    "override_id,reason"
)
BR_HEADER = (
    "Plantão;Equipe;Função;Pessoa (id);Pessoa;E-mail;Telefone;Início;Fim;Horas;Fuso horário;Origem;"
    "Rodízio (id);Substituição (id);Motivo"
)
EN_HEADER = (
    "Shift,Team,Role,Person id,Person,Email,Phone,Start,End,Hours,Time zone,Source,Rotation id,Override id,Reason"
)


@pytest.fixture
def monday() -> date:
    """This week's Monday: the roster holds this week's shift (Ana's) and the next (Eva's)."""
    today = datetime.now(SAO_PAULO).date()
    return today - timedelta(days=today.weekday())


@pytest.fixture
def roster(testapp, admin_headers, monday):
    """Team ``infra``: a weekly rotation of Ana (a Brazilian mobile) and Eva (a Portuguese one).

    It starts two weeks before ``monday``, so Ana holds that week.
    """

    def post(url, body):
        return testapp.post_json(url, body, headers=admin_headers, status=201).json

    ana = post("/api/v1/people", {"name": "Ana Souza", "email": "ana@example.org", "phone": "+55 11 91234-5678"})
    eva = post("/api/v1/people", {"name": "Eva Gonçalves", "email": "eva@example.org", "phone": "+351 912 345 678"})
    post("/api/v1/teams", {"slug": "infra", "name": "Infra"})
    rotation = post("/api/v1/teams/infra/rotations", {
        "name": "Semanal", "policy": "weekly", "members": [ana["id"], eva["id"]],
        "start": (monday - timedelta(days=14)).isoformat(),
    })
    return {"ana": ana, "eva": eva, "rotation": rotation}


def interval(monday: date) -> dict:
    return {"start": monday.isoformat(), "end": (monday + timedelta(days=14)).isoformat()}


def rows(response, delimiter: str) -> list[list[str]]:
    text = response.body.decode("utf-8")
    assert text.startswith(BOM)
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=delimiter))


def by_person(found: list[list[str]]) -> dict[str, list[str]]:
    """The first row of each person (column 5) after the header."""
    people = {}
    for row in found[1:]:
        people.setdefault(row[4], row)
    return people


def export(testapp, admin_headers, monday, url="/api/v1/teams/infra/export.csv", **params):
    """The spreadsheet as an admin reads it: with every contact."""
    return testapp.get(url, params={**interval(monday), **params}, headers=admin_headers)


def test_excel_br_opens_in_columns_in_brazilian_excel(testapp, admin_headers, roster, monday):
    response = export(testapp, admin_headers, monday, dialect="excel-br")
    assert response.content_type == "text/csv" and response.charset == "utf-8"
    assert response.body.startswith((BOM + BR_HEADER + "\r\n").encode("utf-8"))
    found = rows(response, ";")
    assert {len(row) for row in found} == {15}
    ana, eva = by_person(found)["Ana Souza"], by_person(found)["Eva Gonçalves"]
    start = datetime.strptime(ana[7], "%Y-%m-%d %H:%M")
    assert ana == [
        ana[0], "infra", "primary", str(roster["ana"]["id"]), "Ana Souza", "ana@example.org", "(11) 91234-5678",
        ana[7], (start + timedelta(days=7)).strftime("%Y-%m-%d %H:%M"), "168,00", "America/Sao_Paulo", "rodízio",
        str(roster["rotation"]["id"]), "", "",
    ]
    # A foreign phone stays text in Excel: the apostrophe keeps its + and its digits.
    assert eva[4:7] == ["Eva Gonçalves", "eva@example.org", "'+351912345678"]


def test_the_dialects_times_are_the_apis_in_the_teams_zone(testapp, admin_headers, roster, monday):
    shifts = testapp.get("/api/v1/teams/infra/shifts", params=interval(monday), headers=admin_headers).json["shifts"]
    found = rows(export(testapp, admin_headers, monday, dialect="excel-br"), ";")[1:]
    assert [int(row[0]) for row in found] == [shift["id"] for shift in shifts]
    for row, shift in zip(found, shifts):
        assert row[7] == datetime.fromisoformat(shift["start"]).astimezone(SAO_PAULO).strftime("%Y-%m-%d %H:%M")
        assert row[8] == datetime.fromisoformat(shift["end"]).astimezone(SAO_PAULO).strftime("%Y-%m-%d %H:%M")


def test_excel_is_commas_points_and_english_headers(testapp, admin_headers, roster, monday):
    response = export(testapp, admin_headers, monday, dialect="excel")
    assert response.body.startswith((BOM + EN_HEADER + "\r\n").encode("utf-8"))
    people = by_person(rows(response, ","))
    ana, eva = people["Ana Souza"], people["Eva Gonçalves"]
    assert ana[6] == "'+5511912345678" and eva[6] == "'+351912345678"
    assert ana[9] == "168.00" and ana[11] == "rotation"


def test_without_a_dialect_the_api_keeps_its_format(testapp, admin_headers, roster, monday):
    plain = export(testapp, admin_headers, monday)
    assert plain.body.startswith((BOM + API_HEADER + "\r\n").encode("utf-8"))
    ana = by_person(rows(plain, ","))["Ana Souza"]
    assert ana[6] == "+5511912345678"
    assert ana[10] == datetime.strptime(ana[7], "%Y-%m-%d %H:%M").replace(tzinfo=SAO_PAULO).isoformat()
    # An empty dialect is no dialect, byte for byte.
    assert export(testapp, admin_headers, monday, dialect="").body == plain.body


def test_each_dialect_is_its_own_feed(testapp, admin_headers, roster, monday):
    """The feed cache and its ETags keep the dialects apart."""
    bodies = {}
    for dialect in ("excel-br", "excel", "", "excel-br"):
        response = export(testapp, admin_headers, monday, dialect=dialect)
        bodies.setdefault(dialect, set()).add((response.body, response.headers["ETag"]))
    assert len(bodies["excel-br"]) == 1
    assert len({body for found in bodies.values() for body in found}) == 3


def test_an_anonymous_reader_gets_the_dialect_without_hidden_contacts(testapp, admin_headers, roster, monday):
    anonymous = testapp.get("/api/v1/teams/infra/export.csv", params={**interval(monday), "dialect": "excel-br"})
    plain = testapp.get("/api/v1/teams/infra/export.csv", params=interval(monday))
    hidden = {row[4]: row[5:7] for row in rows(plain, ",")[1:]}
    for row in rows(anonymous, ";")[1:]:
        assert (row[5] == "") == (hidden[row[4]][0] == "") and (row[6] == "") == (hidden[row[4]][1] == "")


@pytest.mark.parametrize("dialect", ["xlsx", "EXCEL-BR", "excel br"])
def test_an_unknown_dialect_is_a_clear_400(testapp, roster, dialect):
    response = testapp.get("/api/v1/teams/infra/export.csv", params={"dialect": dialect}, status=400)
    assert response.content_type == "application/json"
    assert f"unknown CSV dialect {dialect!r}: use one of excel-br, excel" in response.text


def test_the_dialect_is_the_csv_formats_own_parameter(testapp, roster):
    """Other formats ignore it, as they ignore the parameters of the others."""
    assert testapp.get("/api/v1/teams/infra/export.json", params={"dialect": "xlsx"}).content_type == "application/json"


def test_a_persons_spreadsheet_is_in_the_installations_zone(testapp, admin_headers, roster, monday):
    ana = roster["ana"]["id"]
    response = export(testapp, admin_headers, monday, f"/api/v1/people/{ana}/export.csv", dialect="excel-br")
    found = rows(response, ";")
    assert found[0] == BR_HEADER.split(";")
    assert {row[4] for row in found[1:]} == {"Ana Souza"}
    assert {row[10] for row in found[1:]} == {"America/Sao_Paulo"}


# -- the pages' links -------------------------------------------------------------------------


def spreadsheet_link(page) -> str:
    return page.html.select_one("#subscribe p.spreadsheet a")["href"]


@pytest.mark.parametrize(
    ("headers", "dialect", "delimiter", "text"),
    [
        ({}, "excel-br", ";", "Baixar este mês em planilha (CSV)"),
        ({"Accept-Language": "en"}, "excel", ",", "Download this month as a spreadsheet (CSV)"),
    ],
)
def test_the_team_page_links_the_month_as_a_spreadsheet_in_the_readers_dialect(
    testapp, roster, headers, dialect, delimiter, text
):
    page = testapp.get("/teams/infra", headers=headers)
    link = page.html.select_one("#subscribe p.spreadsheet a")
    assert link.text.strip() == text
    href = link["href"]
    assert href.startswith("http://localhost/api/v1/teams/infra/export.csv?")
    assert f"dialect={dialect}" in href
    today = datetime.now(SAO_PAULO).date()
    first = today.replace(day=1)
    assert f"start={first.isoformat()}" in href
    assert f"end={(first + timedelta(days=32)).replace(day=1).isoformat()}" in href
    spreadsheet = testapp.get(href.replace("http://localhost", ""))
    header = rows(spreadsheet, delimiter)[0]
    assert header[0] == ("Plantão" if dialect == "excel-br" else "Shift")


def test_the_team_pages_link_keeps_the_month_and_person_shown(testapp, roster):
    ana = roster["ana"]["id"]
    page = testapp.get("/teams/infra", params={"month": "2026-02", "person": str(ana)})
    href = spreadsheet_link(page)
    assert "start=2026-02-01" in href and "end=2026-03-01" in href and f"person={ana}" in href


def test_the_language_cookie_chooses_the_dialect(testapp, roster):
    testapp.set_cookie("plantao_lang", "en")
    assert "dialect=excel" in spreadsheet_link(testapp.get("/teams/infra", headers={"Accept-Language": "pt-BR"}))
    testapp.set_cookie("plantao_lang", "pt_BR")
    assert "dialect=excel-br" in spreadsheet_link(testapp.get("/teams/infra", headers={"Accept-Language": "en"}))


@pytest.mark.parametrize(("headers", "dialect"), [({}, "excel-br"), ({"Accept-Language": "en"}, "excel")])
def test_the_person_page_links_their_shifts_as_a_spreadsheet(testapp, roster, headers, dialect):
    ana = roster["ana"]["id"]
    href = spreadsheet_link(testapp.get(f"/people/{ana}", headers=headers))
    assert href == f"http://localhost/api/v1/people/{ana}/export.csv?dialect={dialect}"
    assert testapp.get(href.replace("http://localhost", "")).content_type == "text/csv"


def test_a_private_rosters_spreadsheet_link_carries_the_feed_token(app_with, roster, admin_headers):
    viewer_password = "viewer secret with enough words"
    client = webtest.TestApp(app_with(public_roster=False, viewer_password=viewer_password))
    viewer = {"Authorization": f"Bearer {viewer_password}"}
    href = spreadsheet_link(client.get("/teams/infra", headers=viewer))
    assert "token=" in href and "dialect=excel-br" in href
    # The link works without the login, as a download from the page must.
    assert client.get(href.replace("http://localhost", "")).body.startswith((BOM + BR_HEADER).encode("utf-8"))
