"""The admin forms in one round, leave by whole days, a person's links, the audit log's targets.

Leave is asked for as its first and last day, both included ("Último dia
(incluído)"), and listed the same way ("de 10/03 a 14/03"); the API keeps
the end exclusive (midnight after the last day), so the person is off the
roster through the whole last day and back the next.  A form reports every
problem at once, next to each field, instead of one round per kind of
check, and its date fields take DD/MM/AAAA (with HH:MM) as well as ISO; a
day the calendar lacks (31/02) says so.  An owner sees a person's links to
send them, the calendar (https and webcal) and the action link, with
"Copiar" and "Renovar"; a team admin sees neither.  Each audit entry keeps
its raw data folded away under "Ver dados brutos" and links to what it
changed while that still exists.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import webtest
from babel.messages import pofile
from sqlalchemy.orm import Session

from plantao.models import AuditEntry
from plantao.services.accounts import AccountService
from plantao.services.context import ServiceContext
from plantao.views.admin.forms import DATE_MESSAGES, DAY_FORMAT, MOMENT_FORMAT, NO_SUCH_DAY
from plantao.views.admin.reports import AUDIT_TARGETS

from tests.functional.admin.conftest import log_in
from tests.functional.conftest import csrf_of

PASSWORD = "correct horse battery staple"


def form_posting_to(page, path: str):
    return next(form for form in page.forms.values() if form.action.endswith(path) and form.method.upper() == "POST")


def error_of(page, field_id: str) -> str:
    box = page.html.find(id=f"f-{field_id}-error")
    return box.text if box is not None else ""


def on_call(api, at: str) -> str:
    return api.get(f"/api/v1/teams/suporte/oncall?at={at}")["oncall"][0]["person"]["name"]


@pytest.fixture
def team_admin(app, scene, settings, plugins, clean_engine):
    """Tiago, team admin of infra, logged in."""
    with Session(clean_engine) as session:
        AccountService(ServiceContext(session, settings, plugins)).create(
            {"name": "Tiago", "email": "tiago@example.com", "password": PASSWORD,
             "role": "team_admin", "teams": ["infra"]})
        session.commit()
    browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.90"})
    log_in(browser, PASSWORD, email="tiago@example.com", status=303)
    return browser


def test_leave_names_its_last_day_and_the_roster_skips_the_person_through_it(admin, api, scene, monday):
    ana, bruno = scene["people"][:2]
    # Day by day from midnight, Ana first: she would hold Monday, Wednesday, Friday...
    api.post("/api/v1/teams", {"slug": "suporte", "name": "Suporte"})
    api.post("/api/v1/teams/suporte/rotations", {"name": "Diário", "policy": "daily",
                                                 "members": [ana["id"], bruno["id"]], "start": f"{monday}T00:00",
                                                 "params": {"handoff_time": "00:00"}})
    first, last = monday + timedelta(days=2), monday + timedelta(days=4)  # Wednesday to Friday
    page = admin.get("/admin/leave")
    assert "Primeiro dia" in page.text and "Último dia (incluído)" in page.text
    form = form_posting_to(page, "/admin/leave")
    form["person"] = str(ana["id"])
    # Typed the Brazilian way, or as a date input posts it.
    form["start"], form["last_day"] = first.strftime("%d/%m/%Y"), last.isoformat()
    listed = form.submit(status=303).follow()

    (stored,) = api.get(f"/api/v1/people/{ana['id']}/leave")["leave"]
    assert stored["start"].startswith(f"{first.isoformat()}T00:00:00")
    assert stored["end"].startswith(f"{(last + timedelta(days=1)).isoformat()}T00:00:00")  # the API's exclusive end

    period = listed.html.select_one(".period").text
    assert period.startswith("de ") and f"{first:%d/%m}" in period and f"{last:%d/%m}" in period
    assert f"{last + timedelta(days=1):%d/%m}" not in period

    # Bruno covers her through the whole last day; she is back, in her place, the day after.
    assert on_call(api, f"{monday.isoformat()}T12:00") == "Ana"
    assert on_call(api, f"{last.isoformat()}T23:30") == "Bruno"
    assert on_call(api, f"{(last + timedelta(days=1)).isoformat()}T00:30") == "Ana"

    # A last day before the first, or one the calendar lacks: said next to the field, nothing saved.
    form = form_posting_to(listed, "/admin/leave")
    form["person"] = str(ana["id"])
    form["start"], form["last_day"] = (last + timedelta(days=9)).isoformat(), (last + timedelta(days=8)).isoformat()
    refused = form.submit(status=422)
    assert "antes do primeiro" in error_of(refused, "last_day")
    form = form_posting_to(refused, "/admin/leave")
    form["start"], form["last_day"] = f"31/02/{last.year + 1}", "amanhã"
    refused = form.submit(status=422)
    assert f"31/02/{last.year + 1} não existe no calendário" in error_of(refused, "start")
    assert "DD/MM/AAAA" in error_of(refused, "last_day")
    assert len(api.get(f"/api/v1/people/{ana['id']}/leave")["leave"]) == 1


def test_the_override_and_person_forms_report_every_error_at_once(admin, api, scene, monday):
    page = admin.get("/admin/teams/infra/overrides")
    token = csrf_of(page)
    refused = admin.post("/admin/teams/infra/overrides", {
        "csrf_token": token, "person": "", "role": "primary", "start": "",
        "end": f"31/02/{monday.year + 1} 10:00", "reason": "x" * 501,
    }, status=422)
    assert "obrigatório" in error_of(refused, "person")
    assert "obrigatório" in error_of(refused, "start")
    assert f"31/02/{monday.year + 1} 10:00 não existe no calendário" in error_of(refused, "end")
    assert "longo" in error_of(refused, "reason")
    assert api.get("/api/v1/teams/infra/overrides")["overrides"] == []

    # DD/MM/AAAA HH:MM in the team's zone, as a person types it.
    bruno = scene["people"][1]
    tuesday = monday + timedelta(days=1)
    admin.post("/admin/teams/infra/overrides", {
        "csrf_token": token, "person": str(bruno["id"]), "role": "primary",
        "start": f"{tuesday:%d/%m/%Y} 09:00", "end": f"{tuesday:%d/%m/%Y} 18:00", "reason": "",
    }, status=303)
    (override,) = api.get("/api/v1/teams/infra/overrides")["overrides"]
    assert override["start"] == f"{tuesday.isoformat()}T09:00:00-03:00"
    assert override["end"] == f"{tuesday.isoformat()}T18:00:00-03:00"

    # The person form: the schema's errors and the phone's (checked after it) together.
    page = admin.get("/admin/people/new")
    form = form_posting_to(page, "/admin/people/new")
    form["name"], form["email"], form["phone"], form["telegram_chat_id"] = "", "not-an-email", "123", "bad id!"
    refused = form.submit(status=422)
    assert "obrigatório" in error_of(refused, "name")
    assert "formato" in error_of(refused, "email")
    assert "telefone" in error_of(refused, "phone")
    assert "formato" in error_of(refused, "telegram_chat_id")
    assert refused.forms and form_posting_to(refused, "/admin/people/new")["email"].value == "not-an-email"
    assert [p["name"] for p in api.get("/api/v1/people")["people"]] == ["Ana", "Bruno", "Carla"]


def test_an_owner_sees_copies_and_renews_a_persons_links_a_team_admin_does_not(admin, scene, team_admin, testapp):
    ana = scene["people"][0]
    page = admin.get(f"/admin/people/{ana['id']}")
    action = page.html.select_one("#action-url")["value"]
    feed = page.html.select_one("#feed-url")["value"]
    webcal = page.html.select_one("#feed-webcal")["value"]
    assert f"/people/{ana['id']}?token=" in action
    assert f"/api/v1/people/{ana['id']}/export.ics?token=" in feed
    assert webcal == "webcal://" + feed.split("://", 1)[1]
    # "Copiar" beside each link, shown by the script only where the browser can copy.
    copies = page.html.select("button[data-copy]")
    assert [b["data-copy"] for b in copies] == ["#action-url", "#feed-url", "#feed-webcal"]
    assert all(b.has_attr("hidden") and b.text == "Copiar" for b in copies)

    old = urlsplit(feed)
    testapp.get(f"{old.path}?{old.query}", status=200)
    renewed = form_posting_to(page, f"/admin/people/{ana['id']}")
    renew = next(f for f in page.forms.values() if f.get("rotate", default=None) is not None
                 and f["rotate"].value == "feed-link")
    assert renew.action == renewed.action and "Renovar" in renew.text
    page = renew.submit(status=303).follow()
    assert "novo link de agenda" in page.text
    new_feed = page.html.select_one("#feed-url")["value"]
    assert new_feed != feed and page.html.select_one("#action-url")["value"] == action
    new = urlsplit(new_feed)
    testapp.get(f"{new.path}?{new.query}", status=200)
    assert testapp.get(f"{old.path}?{old.query}", expect_errors=True).status_int >= 400  # the old link is dead

    # A team admin: neither the page nor the rotation.
    answer = team_admin.get(f"/admin/people/{ana['id']}", expect_errors=True)
    assert answer.status_int == 403 and new.query not in answer.text
    csrf = csrf_of(team_admin.get("/admin/leave"))
    team_admin.post(f"/admin/people/{ana['id']}", {"csrf_token": csrf, "rotate": "feed-link"}, status=403)
    assert admin.get(f"/admin/people/{ana['id']}").html.select_one("#feed-url")["value"] == new_feed


def test_audit_entries_fold_their_raw_data_and_link_to_what_they_changed(
    admin, api, scene, testapp, admin_headers, clean_engine
):
    rotation, ana = scene["rotation"], scene["people"][0]
    api.post("/api/v1/teams", {"slug": "web", "name": "Web"})
    testapp.delete("/api/v1/teams/web", headers=admin_headers, status=204)
    with Session(clean_engine) as session:
        session.add(AuditEntry(actor="system", action="create", entity="widget", entity_id="7"))
        session.commit()
    page = admin.get("/admin/audit")
    entries = page.html.select("ol.audit > li")
    for entry in entries:
        raw = entry.select_one("details.raw")
        assert raw is not None and not raw.has_attr("open") and raw.summary.text == "Ver dados brutos"

    def links(word: str) -> list[list[str]]:
        return [[a["href"] for a in e.select("a.target")] for e in entries if word in e.select_one(".sentence").text]

    assert links("criou a equipe Infra") == [["http://localhost/admin/teams/infra"]]
    assert links("criou o rodízio") == [[f"http://localhost/admin/teams/infra/rotations/{rotation['id']}"]]
    assert [f"http://localhost/admin/people/{ana['id']}"] in links("Ana")
    assert links("equipe Web") == [[], []]  # created, then deleted: nothing to open
    assert links("widget") == [[]]  # a kind the panel does not know

    # A deleted rotation has no page either.
    testapp.delete(f"/api/v1/teams/infra/rotations/{rotation['id']}", headers=admin_headers, status=204)
    entries = admin.get("/admin/audit").html.select("ol.audit > li")
    assert all(not e.select("a.target") for e in entries if "rodízio" in e.select_one(".sentence").text)


def test_the_new_words_are_in_portuguese():
    path = Path(__file__).resolve().parents[3] / "plantao/locale/pt_BR/LC_MESSAGES/plantao_admin.po"
    with open(path, "rb") as handle:
        catalog = {m.id: m.string for m in pofile.read_po(handle) if m.id}
    for msgid in [*AUDIT_TARGETS.values(), *DATE_MESSAGES.values(), DAY_FORMAT, MOMENT_FORMAT, NO_SUCH_DAY]:
        assert catalog.get(msgid) and catalog[msgid] != msgid, msgid
