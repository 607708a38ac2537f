"""A role reads as a word of the reader's language wherever a person reads it (issue 15, §3 and §4).

``secondary`` is "Secundário" on a Brazilian page (the default ``primary`` goes
unsaid on pages), ``primary`` is "primário" in a calendar feed in
Portuguese and in a notification, and "Primary" in English; a role the team
named itself ("dba") reads as typed.  What machines read keeps the stored
name: the JSON API, the JSON export, the CSV's ``role`` column and the
event's data.  The JSON export also carries each override's reason.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import select

from plantao.models import OutboxEvent
from plantao.notifications.events import render
from plantao.plugin_api import role_label

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def infra(testapp, admin_headers):
    """Team ``infra``: Ana and Bruno weekly as primary, Carla daily as secondary, Dora daily as "dba"."""

    def post(url, body):
        return testapp.post_json(url, body, headers=admin_headers, status=201).json

    people = {name: post("/api/v1/people", {"name": name})["id"] for name in ("Ana", "Bruno", "Carla", "Dora")}
    post("/api/v1/teams", {"slug": "infra", "name": "Infra"})
    today = datetime.now(SAO_PAULO).date()
    start = (today - timedelta(days=today.weekday() + 7)).isoformat()
    for name, role, policy, members in (
        ("Semanal", "primary", "weekly", ["Ana", "Bruno"]),
        ("Apoio", "secondary", "daily", ["Carla"]),
        ("Banco", "dba", "daily", ["Dora"]),
    ):
        post("/api/v1/teams/infra/rotations", {
            "name": name, "role": role, "policy": policy, "members": [people[m] for m in members], "start": start,
        })
    return {"people": people, "today": today}


def role_badges(page) -> set[str]:
    return {badge.text.strip() for badge in page.html.select(".role")}


def test_pages_name_the_roles_in_the_readers_language_and_custom_roles_as_typed(testapp, infra):
    team = testapp.get("/teams/infra")
    # The primary role is the default one and goes unsaid; the others are named.
    assert {"Secundário", "dba"} <= role_badges(team)
    assert not {"primary", "secondary", "Primário", "Primary"} & role_badges(team)
    assert {"Secondary", "dba"} <= role_badges(testapp.get("/teams/infra", headers=ENGLISH))

    carla = f"/people/{infra['people']['Carla']}"
    assert role_badges(testapp.get(carla)) == {"Secundário"}
    assert role_badges(testapp.get(carla, headers=ENGLISH)) == {"Secondary"}
    ana = f"/people/{infra['people']['Ana']}"
    assert role_badges(testapp.get(ana)) == set()
    assert role_badges(testapp.get(f"/people/{infra['people']['Dora']}", headers=ENGLISH)) == {"dba"}

    # The one door the pages, the feeds and the notifications go through.
    assert role_label("primary", "pt_BR", capitalized=True) == "Primário"
    assert role_label("secondary", "pt-BR") == "secundário"
    assert role_label("primary", "fr") == "primário"
    assert role_label("dba", "en", capitalized=True) == "dba"


def test_feeds_and_notifications_say_the_label_and_machine_fields_keep_the_role(testapp, admin_headers, infra):
    today = infra["today"]
    tomorrow_noon = datetime.combine(today + timedelta(days=1), time(12), tzinfo=SAO_PAULO)
    overrides = [
        {"person": infra["people"]["Carla"], "reason": "consulta médica"},  # primary, the default role
        {"person": infra["people"]["Bruno"], "role": "secondary"},
    ]
    for hours, body in enumerate(overrides):
        start = tomorrow_noon + timedelta(hours=3 * hours)
        testapp.post_json("/api/v1/teams/infra/overrides", {
            **body, "start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat(),
        }, headers=admin_headers, status=201)
    interval = {"start": today.isoformat(), "end": (today + timedelta(days=3)).isoformat()}

    # The calendar feed: the title in the feed's language, the stored role in X-PLANTAO-ROLE.
    def summaries(lang):
        body = testapp.get("/api/v1/teams/infra/export.ics", params={**interval, "lang": lang}).body
        found = icalendar.Calendar.from_ical(body).walk("VEVENT")
        return {str(e["X-PLANTAO-ROLE"]): e for e in found}, [str(e["SUMMARY"]) for e in found]

    by_role, titles = summaries("pt-BR")
    assert set(by_role) == {"primary", "secondary", "dba"}
    assert any(t.endswith("— plantão Infra (primário)") for t in titles)
    assert any(t.endswith("(secundário)") for t in titles) and any(t.endswith("(dba)") for t in titles)
    assert not any("primary" in t or "secondary" in t for t in titles)
    assert "Função: Primário" in by_role["primary"]["DESCRIPTION"]
    assert "Secundário" in by_role["secondary"].categories
    by_role, titles = summaries("en")
    assert any(t.endswith("— on call Infra (primary)") for t in titles)
    assert "Role: Secondary" in by_role["secondary"]["DESCRIPTION"]

    # The JSON API, the JSON export and the CSV keep the stored role; the export has the reason.
    shifts = testapp.get("/api/v1/teams/infra/shifts", params=interval).json["shifts"]
    assert {s["role"] for s in shifts} == {"primary", "secondary", "dba"}
    exported = testapp.get("/api/v1/teams/infra/export.json", params=interval).json["shifts"]
    assert {s["role"] for s in exported} == {"primary", "secondary", "dba"}
    reasons = {(s["person"]["name"], s["override_id"] is not None): s["reason"] for s in exported}
    assert reasons[("Carla", True)] == "consulta médica"
    assert reasons[("Bruno", True)] is None  # an override that gave no reason
    assert reasons[("Dora", False)] is None and reasons[("Carla", False)] is None
    for dialect in (None, "excel-br"):
        body = testapp.get("/api/v1/teams/infra/export.csv", params={**interval, "dialect": dialect or ""}).body
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";" if dialect else ","))
        column = rows[0].index("Função" if dialect else "role")
        assert {row[column] for row in rows[1:]} == {"primary", "secondary", "dba"}

    # A notification: the event's data keeps the role, its text names it.
    factory = testapp.app.registry["dbsession_factory"]
    with factory() as db:
        payloads = db.scalars(select(OutboxEvent.payload).where(OutboxEvent.kind == "roster_changed")).all()
    changes = [change for payload in payloads for change in payload["changes"] if change["change"] == "reassigned"]
    assert {c["shift"]["role"] for c in changes} == {"primary", "secondary"}
    event = {"team": payloads[0]["team"], "changes": changes}
    portuguese = render("roster_changed", event, "pt-BR", "https://plantao.example", None).text
    assert "Reatribuído: primário " in portuguese and "Reatribuído: secundário " in portuguese
    assert "primary" not in portuguese and "secondary" not in portuguese
    english = render("roster_changed", event, "en", "https://plantao.example", None).text
    assert "Reassigned: primary " in english and "Reassigned: secondary " in english
    digest = {"team": event["team"], "shifts": [{**changes[0]["shift"], "role": role} for role in ("primary", "dba")]}
    lines = render("digest", digest, "pt-BR", "https://plantao.example", None).text.splitlines()
    assert any(line.startswith("Primário: ") for line in lines)
    assert any(line.startswith("dba: ") for line in lines)
