"""The audit log reads as sentences, names people and teams, and is shown to whom it concerns.

Each entry is a sentence in the reader's language ("Tiago criou uma
substituição na equipe Infra: Bruno, ...") naming the actor (an account by
its name, a token as "token <name>", the built-in password as
"administrador (senha)"), the people and the teams by name; what was
recorded (the raw fields, before and after) stays one click away.  An owner
reads everything; a team admin the entries about their teams (200, the rest
left out), through the page and the API alike; a viewer and tokens nothing
(403 from the API; the panel sends a viewer to the login form, as on every
panel page).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import webtest
from babel.messages import pofile
from sqlalchemy.orm import Session

from plantao.datetimes import utcnow
from plantao.services import audit
from plantao.services.accounts import AccountService
from plantao.models import AuditEntry
from plantao.services.audit import AuditNames
from plantao.services.audit_sentences import MSGIDS, AuditSentences
from plantao.services.context import ServiceContext
from plantao.views.admin.reports import AUDIT_KINDS

from tests.functional.conftest import csrf_of

PASSWORD = "correct horse battery staple"
ROOT = __import__("pathlib").Path(__file__).resolve().parents[3]


def log_in_as(app, email: str, address: str):
    """A browser logged in as the account with ``email``."""
    browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": address})
    form = browser.get("/admin/login").forms[0]
    form["email"] = email
    form["password"] = PASSWORD
    form.submit(status=303)
    return browser


def later(days: int, hours: int = 2) -> dict:
    start = (utcnow() + timedelta(days=days)).replace(microsecond=0)
    return {"start": start.isoformat(), "end": (start + timedelta(hours=hours)).isoformat()}


@pytest.fixture
def story(app, scene, api, testapp, admin_headers, settings, plugins, clean_engine):
    """Infra (Ana, Bruno, Carla; rotation Semanal) and Web (Dora; rotation Noturno); owner Olga,
    team admin Tiago (of infra) and viewer Vera; Tiago's override in infra, leave of Ana and of
    Dora, a write token "deploy bot" that overrides in web, and a deleted rotation of web."""
    ana, bruno = scene["people"][0], scene["people"][1]
    api.post("/api/v1/teams", {"slug": "web", "name": "Web"})
    dora = api.post("/api/v1/people", {"name": "Dora"})
    noturno = api.post("/api/v1/teams/web/rotations",
                       {"name": "Noturno", "policy": "daily", "members": [dora["id"]],
                        "start": utcnow().replace(microsecond=0).isoformat()})
    old = api.post("/api/v1/teams/web/rotations",
                   {"name": "Antigo", "policy": "daily", "members": [dora["id"]],
                    "start": utcnow().replace(microsecond=0).isoformat()})
    testapp.delete(f"/api/v1/teams/web/rotations/{old['id']}", headers=admin_headers, status=204)

    with Session(clean_engine) as session:
        service = AccountService(ServiceContext(session, settings, plugins))
        for name, email, role, teams in (("Olga", "olga@example.com", "owner", []),
                                         ("Tiago", "tiago@example.com", "team_admin", ["infra"]),
                                         ("Vera", "vera@example.com", "viewer", [])):
            service.create({"name": name, "email": email, "password": PASSWORD, "role": role, "teams": teams}
                           if teams else {"name": name, "email": email, "password": PASSWORD, "role": role})
        session.commit()

    tiago = log_in_as(app, "tiago@example.com", "192.0.2.31")
    token = csrf_of(tiago.get("/admin/login", {"next": "/"}))
    tiago.post_json("/api/v1/teams/infra/overrides", {"person": bruno["id"], **later(3)},
                    headers={"X-CSRF-Token": token}, status=201)

    api.post(f"/api/v1/people/{ana['id']}/leave", later(10, 48))
    api.post(f"/api/v1/people/{dora['id']}/leave", later(12, 48))
    secret = api.post("/api/v1/tokens", {"name": "deploy bot", "scopes": ["write"], "teams": ["web"]})["token"]
    testapp.post_json("/api/v1/teams/web/overrides", {"person": dora["id"], **later(4)},
                      headers={"Authorization": f"Bearer {secret}"}, status=201)
    return {"ana": ana, "bruno": bruno, "dora": dora, "noturno": noturno, "tiago": tiago, "token": secret}


def sentences(page) -> list[str]:
    return [" ".join(p.text.split()) for p in page.html.select("ol.audit > li > p.sentence")]


def test_the_owner_reads_every_entry_as_a_sentence_in_portuguese_with_names(app, story):
    olga = log_in_as(app, "olga@example.com", "192.0.2.32")
    page = olga.get("/admin/audit")
    said = "\n".join(sentences(page))
    assert "Administrador (senha, API) criou a equipe Infra" in said
    assert "Administrador (senha, API) criou o rodízio Semanal na equipe Infra" in said
    assert "Administrador (senha, API) cadastrou Ana" in said
    assert "Tiago criou uma substituição na equipe Infra: Bruno, " in said
    assert "Administrador (senha, API) registrou uma ausência de Ana: " in said
    assert "Token deploy bot criou uma substituição na equipe Web: Dora, " in said
    assert "Administrador (senha, API) criou o token deploy bot" in said
    assert "Administrador (senha, API) excluiu o rodízio Antigo da equipe Web" in said
    # Names, not ids: nobody is "#3" in a sentence.
    assert not re.search(r"#\d", said)
    # What was recorded is still there, folded away.
    first = page.html.select("ol.audit > li")[0]
    assert first.select_one("details.raw") is not None and "override" in first.select_one("details.raw").text
    # The filter names the writers too.
    by = {option["value"]: option.text for option in page.html.select("#actor option")}
    assert by["account:tiago@example.com"] == "Tiago"
    assert by["token:deploy bot"] == "token deploy bot"
    assert by["admin-token"] == "administrador (senha, API)"


def test_the_sentences_in_english(app, story):
    olga = log_in_as(app, "olga@example.com", "192.0.2.33")
    said = "\n".join(sentences(olga.get("/admin/audit", headers={"Accept-Language": "en"})))
    assert "Administrator (password, API) created rotation Semanal in team Infra" in said
    assert "Tiago created an override in team Infra: Bruno, " in said
    assert "Administrator (password, API) recorded leave for Ana: " in said
    assert "Token deploy bot created an override in team Web: Dora, " in said


def test_the_built_in_password_and_unknown_kinds_read_as_sentences(admin, story, settings, plugins, clean_engine):
    with Session(clean_engine) as session:
        # A plugin's own kind of entry, which no sentence knows.
        audit.record(session, audit.Actor("admin-session"), "frobnicate", "gadget", 7, None, {"name": "Widget"})
        audit.record(session, audit.Actor("system"), "create", "gadget", 8, None, None)
        session.commit()
    said = sentences(admin.get("/admin/audit"))
    assert said[0].startswith("O sistema criou gadget nº 8")
    assert said[1].startswith("Administrador (senha): frobnicate em gadget Widget")


def test_the_owner_filters_by_who_wrote(app, story):
    olga = log_in_as(app, "olga@example.com", "192.0.2.34")
    page = olga.get("/admin/audit", {"actor": "account:tiago@example.com"})
    assert [s.split(":")[0] for s in sentences(page)] == ["Tiago criou uma substituição na equipe Infra"]
    assert 'value="account:tiago@example.com" selected' in page.text
    by_token = sentences(olga.get("/admin/audit", {"actor": "token:deploy bot"}))
    assert len(by_token) == 1 and by_token[0].startswith("Token deploy bot")


def test_a_team_admin_reads_their_teams_entries_only(story):
    tiago = story["tiago"]
    page = tiago.get("/admin/audit", status=200)
    said = "\n".join(sentences(page))
    assert "criou a equipe Infra" in said and "criou o rodízio Semanal na equipe Infra" in said
    assert "Tiago criou uma substituição na equipe Infra" in said
    assert "registrou uma ausência de Ana" in said  # a member of infra
    for elsewhere in ("Web", "Dora", "deploy bot", "cadastrou", "conta de", "Antigo"):
        assert elsewhere not in said
    by = {option["value"] for option in page.html.select("#actor option")}
    assert "token:deploy bot" not in by and "account:tiago@example.com" in by
    kinds = {option["value"] for option in page.html.select("#entity option")}
    assert "account" not in kinds and "rotation" in kinds
    # Filters keep within their share.
    assert not sentences(tiago.get("/admin/audit", {"actor": "token:deploy bot"}))
    assert not sentences(tiago.get("/admin/audit", {"entity": "api_token"}))


def test_the_api_gives_a_team_admin_their_teams_entries_only(story, api):
    mine = story["tiago"].get("/api/v1/audit", {"limit": 200}).json["entries"]
    everything = api.get("/api/v1/audit", params={"limit": 200})["entries"]
    assert len(mine) < len(everything)
    for entry in mine:
        record = entry["after"] or entry["before"] or {}
        assert (entry["entity_id"] == "infra" or record.get("team") == "infra"
                or record.get("person") == story["ana"]["id"]), entry
    assert {e["entity"] for e in mine} == {"team", "rotation", "override", "leave"}
    assert {e["entity"] for e in everything} >= {"person", "api_token", "account"}


def test_a_viewer_and_tokens_may_not_read_the_audit_log(app, story, testapp):
    vera = log_in_as(app, "vera@example.com", "192.0.2.35")
    # As every panel page does for a viewer (plantao.views.errors): the login form, for another account.
    assert "/admin/login?next=" in vera.get("/admin/audit", status=303).location
    vera.get("/api/v1/audit", status=403)
    testapp.get("/api/v1/audit", headers={"Authorization": f"Bearer {story['token']}"}, status=403)


@pytest.mark.parametrize("locale", ["pt_BR", "en"])
def test_every_sentence_is_in_the_catalogue(locale):
    path = ROOT / f"plantao/locale/{locale}/LC_MESSAGES/plantao_admin.po"
    with path.open("rb") as handle:
        catalog = pofile.read_po(handle, locale=locale)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    assert sorted((MSGIDS | set(AUDIT_KINDS.values())) - translated) == []


def english(msgid: str, **mapping) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda name: str(mapping[name[1]]), msgid)


@pytest.mark.parametrize(
    ("entry", "said"),
    [
        (AuditEntry(actor="person-7-link (Ana)", action="update", entity="notification_preferences",
                    entity_id="7", before={}, after={"person": 7}),
         "Ana Souza changed the notification preferences of Ana Souza"),
        (AuditEntry(actor="account:olga@example.com", action="create", entity="notification_channel",
                    entity_id="infra/telegram", before=None, after={"channel": "telegram"}),
         "Olga set up telegram notifications for team Infra"),
        (AuditEntry(actor="token:deploy bot", action="retry", entity="delivery", entity_id="12"),
         "Token deploy bot sent delivery 12 again"),
        (AuditEntry(actor="person:Ana", action="create", entity="request", entity_id="3", before=None,
                    after={"team": "infra", "kind": "swap", "requester": {"id": 7, "name": ""},
                           "start": "2026-03-02T09:00:00-03:00", "end": "2026-03-02T21:00:00-03:00"}),
         "Ana opened a swap request in team Infra: Ana Souza, 09:00 to 21:00"),
        (AuditEntry(actor="system", action="expired", entity="request", entity_id="3", before={},
                    after={"team": "infra", "kind": "cover", "requester": {"id": 7, "name": "Ana"},
                           "start": "2026-03-02T09:00:00-03:00", "end": "2026-03-02T21:00:00-03:00"}),
         "A cover request in team Infra expired: Ana Souza, 09:00 to 21:00"),
        (AuditEntry(actor="admin-session", action="set_password", entity="account", entity_id="5"),
         "Administrator (password) set a new password for the account of Olga"),
        (AuditEntry(actor="admin-session", action="delete", entity="team", entity_id="gone",
                    before={"slug": "gone", "name": "Gone team"}),
         "Administrator (password) deleted team Gone team"),
        (AuditEntry(actor="someone-new", action="create", entity="gadget", entity_id=None),
         "Someone-new created gadget"),
    ],
)
def test_each_kind_reads_as_a_sentence_with_names(entry, said):
    names = AuditNames(accounts_by_email={"olga@example.com": "Olga"}, accounts={5: "Olga"},
                       people={7: "Ana Souza"}, teams={"infra": "Infra"})
    sentence = AuditSentences(names, english, lambda moment: moment.strftime("%H:%M"))
    assert sentence(entry) == said
