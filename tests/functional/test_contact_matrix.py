"""Contacts: exactly who sees which phone and e-mail, on every surface.

The rule (plantao/services/contacts.py): a viewer, an admin and a feed's
secret link see every contact; an anonymous reader sees the phone and chat
handles of whoever is on call now and next (per team and role), never an
e-mail, and nothing with ``PUBLIC_CONTACTS=false``; an anonymous export
body carries no contacts at all.  The matrix below reads every read route
and export format as each kind of reader, with ``PUBLIC_CONTACTS`` on and
off, and compares the phones, chat handles and e-mails in each body with
what the rule allows.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import webtest
from sqlalchemy import select

from plantao.models import Person, Team

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
VIEWER_PASSWORD = "viewer password of the contacts matrix"

#: name -> (phone as typed, E.164, national format, telegram handle)
PEOPLE = {
    "Ana": ("+55 11 91111-0001", "+5511911110001", "(11) 91111-0001", "ana_tg"),
    "Bruno": ("(11) 92222-0002", "+5511922220002", "(11) 92222-0002", "bruno_tg"),
    "Carla": ("11 93333-0003", "+5511933330003", "(11) 93333-0003", "carla_tg"),
    "Dora": ("+55 21 94444-0004", "+5521944440004", "(21) 94444-0004", "dora_tg"),
    "Eva": ("+1 212 555 0100", "+12125550100", "+1 212-555-0100", "eva_tg"),
}
FORMATS = ("ics", "csv", "json")


def email(name: str) -> str:
    return f"{name.lower()}@example.org"


@pytest.fixture
def client(app_with):
    """``client(public_contacts=...)``: a WebTest client of the app with that setting."""

    def build(public_contacts: bool) -> webtest.TestApp:
        return webtest.TestApp(app_with(public_contacts=public_contacts, viewer_password=VIEWER_PASSWORD),
                               extra_environ={"REMOTE_ADDR": "192.0.2.30"})

    return build


@dataclasses.dataclass
class Roster:
    """Team ``infra``: a weekly rotation of all five; team ``ops``: Eva alone, daily."""

    ids: dict[str, int]
    names: dict[int, str]
    infra_now: set[str]
    later: set[str]
    later_at: str
    tokens: dict[str, str]


def build_roster(app, admin_headers, dbsession) -> Roster:
    def post(url, body):
        return app.post_json(url, body, headers=admin_headers, status=201).json

    ids = {}
    for name, (typed, *_rest, handle) in PEOPLE.items():
        ids[name] = post("/api/v1/people", {"name": name, "email": email(name), "phone": typed,
                                            "telegram_chat_id": handle})["id"]
    today = datetime.now(SAO_PAULO).date()
    monday = today - timedelta(days=today.weekday() + 14)
    post("/api/v1/teams", {"slug": "infra", "name": "Infra"})
    post("/api/v1/teams/infra/rotations", {"name": "Semanal", "policy": "weekly",
                                           "members": list(ids.values()), "start": f"{monday}T09:00"})
    post("/api/v1/teams", {"slug": "ops", "name": "Ops"})
    post("/api/v1/teams/ops/rotations", {"name": "Diário", "policy": "daily",
                                         "members": [ids["Eva"]], "start": f"{monday}T09:00"})
    names = {v: k for k, v in ids.items()}

    def holders(body) -> set[str]:
        found = {names[e["person"]["id"]] for e in body["oncall"]}
        if body["next_handoff"]:
            found.add(names[body["next_handoff"]["person"]["id"]])
        return found

    infra_now = holders(app.get("/api/v1/teams/infra/oncall", headers=admin_headers).json)
    later_at = (datetime.now(SAO_PAULO) + timedelta(days=15)).isoformat(timespec="minutes")
    later = holders(app.get("/api/v1/teams/infra/oncall", params={"at": later_at}, headers=admin_headers).json)
    tokens = {"infra": dbsession.scalar(select(Team).where(Team.slug == "infra")).feed_token}
    tokens.update({name: dbsession.get(Person, pid).feed_token for name, pid in ids.items()})
    assert len(infra_now) == 2 and "Eva" not in infra_now, infra_now
    return Roster(ids, names, infra_now, later, later_at, tokens)


def seen(body: str) -> tuple[set[str], set[str], set[str]]:
    """(names whose phone, whose chat handle, whose e-mail) ``body`` shows."""
    body = body.replace("\r\n ", "").replace("\n ", "")  # iCalendar folds long lines
    phones = {n for n, (_, e164, national, _h) in PEOPLE.items() if e164 in body or national in body}
    chats = {n for n, (*_, handle) in PEOPLE.items() if handle in body}
    emails = {n for n in PEOPLE if email(n) in body}
    return phones, chats, emails


READERS = ("anonymous", "viewer", "admin", "feed token")


@pytest.mark.parametrize("public_contacts", [True, False], ids=["public_contacts", "no_public_contacts"])
@pytest.mark.parametrize("reader", READERS)
def test_every_surface_shows_exactly_the_contacts_the_rule_allows(
    client, admin_headers, dbsession, reader, public_contacts
):
    app = client(public_contacts)
    roster = build_roster(app, admin_headers, dbsession)
    everybody = set(PEOPLE)
    on_duty_anywhere = roster.infra_now | {"Eva"}
    headers = {
        "viewer": {"Authorization": f"Bearer {VIEWER_PASSWORD}"},
        "admin": admin_headers,
    }.get(reader, {})
    window = {"start": (datetime.now(SAO_PAULO) - timedelta(days=8)).date().isoformat(),
              "end": (datetime.now(SAO_PAULO) + timedelta(days=40)).date().isoformat()}

    # (url, params, who the surface lists with contacts for a full reader,
    #  whose phone an anonymous reader may see there, whose token is a feed credential here)
    surfaces = [
        ("/api/v1/people", {}, everybody, on_duty_anywhere, None),
        *[(f"/api/v1/people/{roster.ids[n]}", {}, {n}, on_duty_anywhere & {n}, None) for n in PEOPLE],
        ("/api/v1/teams/infra/shifts", window, everybody, roster.infra_now, None),
        ("/api/v1/teams/ops/shifts", window, {"Eva"}, {"Eva"}, None),
        ("/api/v1/teams/infra/oncall", {}, roster.infra_now, roster.infra_now, None),
        ("/api/v1/teams/infra/oncall", {"at": roster.later_at}, roster.later, roster.later & roster.infra_now, None),
        *[(f"/api/v1/teams/infra/export.{fmt}", {}, everybody, set(), "infra") for fmt in FORMATS],
        *[(f"/api/v1/people/{roster.ids['Carla']}/export.{fmt}", {}, {"Carla"}, set(), "Carla") for fmt in FORMATS],
        ("/", {}, on_duty_anywhere, on_duty_anywhere, None),
        ("/teams/infra", {}, roster.infra_now, roster.infra_now, None),
        *[(f"/people/{roster.ids[n]}", {}, {n}, on_duty_anywhere & {n}, n) for n in PEOPLE],
    ]
    for url, params, listed, anonymous_phones, token_owner in surfaces:
        query = dict(params)
        full = reader in ("viewer", "admin")
        if reader == "feed token":
            # Any feed token is tried on every route: only the route's own opens it.
            query["token"] = roster.tokens[token_owner or "infra"]
            full = token_owner is not None
        body = app.get(url, params=query, headers=headers).text
        phones, chats, emails = seen(body)
        where = f"{url} {params} as {reader}"
        # The csv format has e-mail and phone columns, no chat handles.
        handles = set() if url.endswith(".csv") else None
        if full:
            assert (phones, chats, emails) == (listed, listed if handles is None else handles, listed), where
        else:
            allowed = anonymous_phones if public_contacts else set()
            assert (phones, chats, emails) == (allowed, allowed if handles is None else handles, set()), where


def test_anonymous_oncall_answers_from_the_cache_follow_the_rule_too(client, admin_headers, dbsession):
    """The pre-serialized fast path keys its bodies by kind of reader."""
    app = client(True)
    roster = build_roster(app, admin_headers, dbsession)
    for _ in range(3):  # the first answer fills the cache, the others come from it
        assert seen(app.get("/api/v1/teams/infra/oncall").text) == (roster.infra_now, roster.infra_now, set())
        assert seen(app.get("/api/v1/teams/infra/oncall", headers=admin_headers).text) == (
            roster.infra_now, roster.infra_now, roster.infra_now)
    closed = client(False)
    for _ in range(2):
        assert seen(closed.get("/api/v1/teams/infra/oncall").text) == (set(), set(), set())


def test_export_plugins_receive_contacts_already_filtered(client, admin_headers, dbsession, plugins):
    """What a third-party format is handed: no contacts for anonymous readers, all with the token."""
    from plantao.exports import ExportFormat

    received = []

    class Spy(ExportFormat):
        name = "spy"
        media_type = "text/plain"
        extension = "txt"

        def render(self, shifts, context):
            received.append(([s.person for s in shifts], context.contacts))
            return b"spy"

    plugins.export_formats["spy"] = Spy()
    try:
        app = client(True)
        roster = build_roster(app, admin_headers, dbsession)
        app.get("/api/v1/teams/infra/export.spy")
        app.get("/api/v1/teams/infra/export.spy", params={"token": roster.tokens["infra"]})
    finally:
        del plugins.export_formats["spy"]
    (anonymous, anonymous_policy), (token, token_policy) = received
    assert anonymous and all(
        (p.email, p.phone, p.telegram_chat_id, p.chat) == (None, None, None, {}) for p in anonymous
    )
    assert (anonymous_policy.email, anonymous_policy.phone) == (False, False)
    assert {p.phone for p in token} == {e164 for _, e164, _n, _h in PEOPLE.values()}
    assert all(p.email for p in token) and (token_policy.email, token_policy.phone) == (True, True)
