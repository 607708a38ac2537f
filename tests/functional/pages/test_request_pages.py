"""Cover and swap requests through the pages (issue 13, section 3).

The scenario is the JSON API's (tests/functional/api/test_api_requests.py):
team "infra" with a daily rotation of Ana, Bia, Caio and Davi (handoff
09:00), started four weeks before a Monday one to two weeks ahead.  People
open a request's page through their action link (``?token=``), as a
notification sends them, and answer with its buttons; team admins decide in
the panel.
"""

from __future__ import annotations

import re

import pytest
import webtest
from sqlalchemy.orm import Session

from plantao.services.accounts import AccountService
from plantao.services.context import ServiceContext

from tests.conftest import ADMIN_PASSWORD

from tests.functional.request_scenario import API, holder, iso_local, shift_of
PASSWORD = "correct horse battery staple"


@pytest.fixture
def asked(testapp, tokens, daily, monday):
    """Ana's open cover request for her Monday (its JSON)."""
    shift = shift_of(testapp, "Ana", monday)
    return testapp.post_json(f"{API}?token={tokens['Ana']}", {"kind": "cover", "shift": shift["id"],
                                                              "note": "consulta médica"}, status=201).json


def browser(app, address: str) -> webtest.TestApp:
    return webtest.TestApp(app, extra_environ={"REMOTE_ADDR": address})


def page_of(testapp, item: dict, token: str | None = None, **kw):
    query = f"?token={token}" if token else ""
    return testapp.get(f"/teams/infra/requests/{item['id']}{query}", **kw)


def form_posting_to(page, action: str):
    return next(form for form in page.forms.values() if form.action.split("?")[0].endswith(f"/{action}"))


# -- the page a notification opens ---------------------------------------------------------------


def test_the_request_page_opened_by_a_colleagues_link_lists_who_may_take_it_and_offers_accept(
    app, asked, tokens, people,
):
    bia = browser(app, "192.0.2.41")
    page = page_of(bia, asked, tokens["Bia"])

    text = page.html.get_text(" ")
    assert "Pedido de cobertura" in text and "Aberto" in text
    assert "Ana" in text and "consulta médica" in text
    candidates = [li.get_text(" ").split(" (")[0].strip() for li in page.html.select("ol.candidates li")]
    assert sorted(candidates) == ["Bia", "Caio", "Davi"]
    accept = form_posting_to(page, "accept")
    assert accept.action.startswith(f"http://localhost/people/{people['Bia']['id']}/requests/{asked['id']}/accept")
    assert f"token={tokens['Bia']}" in accept.action
    assert "csrf_token" in accept.fields
    # Bia did not ask: no cancel button for her.
    assert not [f for f in page.forms.values() if f.action.split("?")[0].endswith("/cancel")]


def test_an_anonymous_reader_sees_the_request_without_buttons(testapp, asked):
    page = page_of(testapp, asked)
    assert "Pedido de cobertura" in page.text
    assert not page.forms


def test_accepting_through_the_page_changes_the_roster_and_goes_back_to_the_request(
    app, testapp, asked, tokens, people, monday,
):
    bia = browser(app, "192.0.2.42")
    answer = form_posting_to(page_of(bia, asked, tokens["Bia"]), "accept").submit(status=303)

    assert answer.location == f"http://localhost/teams/infra/requests/{asked['id']}?token={tokens['Bia']}"
    done = answer.follow()
    assert "Concluído" in done.text and "Você assumiu este pedido." in done.text
    assert not done.html.select("ol.candidates")
    assert holder(testapp, iso_local(monday, "12:00")) == "Bia"
    # A second answer finds it taken: the page again, saying so, and nothing changes.
    caio = browser(app, "192.0.2.43")
    late = caio.post(f"/people/{people['Caio']['id']}/requests/{asked['id']}/accept?token={tokens['Caio']}",
                     status=409)
    assert "não está mais aberto" in late.text
    assert holder(testapp, iso_local(monday, "12:00")) == "Bia"


def test_the_requester_cancels_through_the_page(app, testapp, asked, tokens):
    ana = browser(app, "192.0.2.44")
    page = page_of(ana, asked, tokens["Ana"])
    assert not [f for f in page.forms.values() if f.action.split("?")[0].endswith("/accept")]

    done = form_posting_to(page, "cancel").submit(status=303).follow()

    assert "Cancelado" in done.text
    assert testapp.get(f"{API}/{asked['id']}").json["status"] == "cancelled"


def test_nobody_else_cancels_nor_answers_as_somebody_else(app, testapp, asked, tokens, people):
    bia = browser(app, "192.0.2.45")
    refused = bia.post(f"/people/{people['Bia']['id']}/requests/{asked['id']}/cancel?token={tokens['Bia']}",
                       status=422)
    assert "Só quem pediu pode cancelar" in refused.text
    # Bia's link does not answer as Caio.
    bia.post(f"/people/{people['Caio']['id']}/requests/{asked['id']}/accept?token={tokens['Bia']}", status=403)
    assert testapp.get(f"{API}/{asked['id']}").json["status"] == "open"


def test_a_wrong_or_missing_link_opens_nothing_and_never_fails(app, testapp, asked, people):
    stranger = browser(app, "192.0.2.46")
    for token in ("wrong", "x" * 300):
        page_of(stranger, asked, token, status=404)
        # The security policy refuses the write before the view: the login form, nothing changed.
        refused = stranger.post(f"/people/{people['Bia']['id']}/requests/{asked['id']}/accept?token={token}",
                                status=(303, 401, 403, 404))
        assert refused.status_int != 303 or "/admin/login" in refused.location
    # Bytes that are no text are no link: read as nobody's, never a failure.
    page_of(stranger, asked, "%FF", status=(200, 400, 404))
    stranger.post(f"/people/{people['Bia']['id']}/requests/{asked['id']}/accept?token=%FF",
                  status=(303, 400, 401, 403, 404))
    stranger.post(f"/people/{people['Bia']['id']}/requests/{asked['id']}/accept", status=(303, 401, 403))
    stranger.get("/teams/infra/requests/99999999", status=404)
    stranger.get("/teams/infra/requests/99999999999999999999", status=404)
    stranger.get(f"/teams/nowhere/requests/{asked['id']}", status=404)
    assert testapp.get(f"{API}/{asked['id']}").json["status"] == "open"


def make_account(settings, plugins, clean_engine, **body) -> None:
    with Session(clean_engine) as session:
        AccountService(ServiceContext(session, settings, plugins)).create({"password": PASSWORD, **body})
        session.commit()


def test_an_account_linked_to_a_colleague_answers_with_its_session_and_the_csrf_token(
    app, testapp, asked, people, settings, plugins, clean_engine, monday,
):
    make_account(settings, plugins, clean_engine, name="Bia", email="bia@example.com", role="team_admin",
                 teams=["infra"], person=people["Bia"]["id"])
    bia = log_in(app, "192.0.2.47", "bia@example.com")
    page = page_of(bia, asked)
    accept = form_posting_to(page, "accept")
    assert "token=" not in accept.action

    # The session is ambient authority: without the form's CSRF token, nothing happens.
    bia.post(accept.action, {}, status=400)
    assert testapp.get(f"{API}/{asked['id']}").json["status"] == "open"
    answer = accept.submit(status=303)
    assert answer.location == f"http://localhost/teams/infra/requests/{asked['id']}"
    assert holder(testapp, iso_local(monday, "12:00")) == "Bia"


def test_a_viewer_linked_to_a_colleague_only_reads(app, asked, people, settings, plugins, clean_engine):
    make_account(settings, plugins, clean_engine, name="Bia", email="bia@example.com", role="viewer",
                 person=people["Bia"]["id"])
    reader = log_in(app, "192.0.2.56", "bia@example.com")
    assert not page_of(reader, asked).forms


# -- the admin panel ---------------------------------------------------------------------------


def log_in(app, address: str, email: str | None = None):
    client = browser(app, address)
    form = client.get("/admin/login").forms[0]
    if email:
        form["email"], form["password"] = email, PASSWORD
    else:
        form["password"] = ADMIN_PASSWORD
    form.submit(status=303)
    return client


def test_with_admin_approval_an_accepted_request_waits_and_a_team_admin_approves_it(
    app, testapp, admin, tokens, daily, monday, asked,
):
    admin.patch("/api/v1/teams/infra", {"swap_approval": "admin"}, status=200)
    bia = browser(app, "192.0.2.48")
    waiting = form_posting_to(page_of(bia, asked, tokens["Bia"]), "accept").submit(status=303).follow()
    assert "Aguardando aprovação" in waiting.text
    assert holder(testapp, iso_local(monday, "12:00")) == "Ana"

    owner = log_in(app, "192.0.2.49")
    panel = owner.get("/admin/teams/infra/requests")
    row = panel.html.select_one(f"#request-{asked['id']}")
    assert "Aguardando aprovação" in row.get_text(" ") and "Bia" in row.get_text(" ")
    approved = form_posting_to(panel, "approve").submit(status=303).follow()

    assert f"Pedido #{asked['id']} aprovado" in approved.text
    assert holder(testapp, iso_local(monday, "12:00")) == "Bia"
    assert testapp.get(f"{API}/{asked['id']}").json["status"] == "done"
    assert approved.html.select_one(f"#request-{asked['id']}") is not None  # now among the closed


def test_a_team_admin_declines_and_the_roster_stays(app, testapp, admin, tokens, daily, monday, asked,
                                                   settings, plugins, clean_engine):
    admin.patch("/api/v1/teams/infra", {"swap_approval": "admin"}, status=200)
    testapp.post_json(f"{API}/{asked['id']}/accept?token={tokens['Caio']}", {}, status=200)
    with Session(clean_engine) as session:
        AccountService(ServiceContext(session, settings, plugins)).create({
            "name": "Tiago", "email": "tiago@example.com", "password": PASSWORD, "role": "team_admin",
            "teams": ["infra"],
        })
        session.commit()
    tiago = log_in(app, "192.0.2.50", "tiago@example.com")

    declined = form_posting_to(tiago.get("/admin/teams/infra/requests"), "decline").submit(status=303).follow()

    assert f"Pedido #{asked['id']} recusado" in declined.text
    assert testapp.get(f"{API}/{asked['id']}").json["status"] == "declined"
    assert holder(testapp, iso_local(monday, "12:00")) == "Ana"
    # Deciding twice: said on the list, nothing breaks.
    again = tiago.post(f"/admin/teams/infra/requests/{asked['id']}/approve",
                       {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', declined.text).group(1)},
                       status=303).follow()
    assert testapp.get(f"{API}/{asked['id']}").json["status"] == "declined"
    assert again.html.select_one(".flash") is not None


def test_an_admin_cancels_for_the_requester(app, testapp, asked):
    owner = log_in(app, "192.0.2.51")
    form_posting_to(owner.get("/admin/teams/infra/requests"), "cancel").submit(status=303)
    assert testapp.get(f"{API}/{asked['id']}").json["status"] == "cancelled"


def test_the_pick_page_lists_the_teams(app, admin, asked):
    admin.post("/api/v1/teams", {"slug": "web", "name": "Web"}, status=201)
    owner = log_in(app, "192.0.2.52")
    page = owner.get("/admin/requests")
    assert "http://localhost/admin/teams/infra/requests" in page.text
    assert "http://localhost/admin/teams/web/requests" in page.text


def test_a_team_admin_of_another_team_is_refused(app, testapp, admin, asked, settings, plugins, clean_engine):
    admin.post("/api/v1/teams", {"slug": "web", "name": "Web"}, status=201)
    with Session(clean_engine) as session:
        AccountService(ServiceContext(session, settings, plugins)).create({
            "name": "Wal", "email": "wal@example.com", "password": PASSWORD, "role": "team_admin", "teams": ["web"],
        })
        session.commit()
    wal = log_in(app, "192.0.2.53", "wal@example.com")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', wal.get("/admin/teams/web/requests").text).group(1)

    wal.get("/admin/teams/infra/requests", status=403)
    for action in ("approve", "decline", "cancel"):
        wal.post(f"/admin/teams/infra/requests/{asked['id']}/{action}", {"csrf_token": csrf}, status=403)
    assert testapp.get(f"{API}/{asked['id']}").json["status"] == "open"


# -- asking from one's own page ---------------------------------------------------------------


def test_a_person_asks_for_cover_of_part_of_a_shift_through_the_form(app, testapp, tokens, people, daily, monday):
    shift = shift_of(testapp, "Ana", monday)
    ana = browser(app, "192.0.2.54")
    url = f"/people/{people['Ana']['id']}/requests?token={tokens['Ana']}"
    local = monday.isoformat()

    answer = ana.post(url, {"kind": "cover", "shift": str(shift["id"]), "start": f"{local}T13:00",
                            "end": f"{local}T18:00", "note": "dentista", "with_shift": ""}, status=303)

    page = answer.follow()
    assert "Seu pedido está aberto" in page.text and "dentista" in page.text
    made = testapp.get(API).json["requests"][0]
    assert (made["start"], made["end"]) == (iso_local(monday, "13:00"), iso_local(monday, "18:00"))
    assert answer.location == f"http://localhost/teams/infra/requests/{made['id']}?token={tokens['Ana']}"


def test_asking_about_somebody_elses_shift_or_nothing_says_why(app, testapp, tokens, people, daily, monday):
    bias = shift_of(testapp, "Bia", monday)
    ana = browser(app, "192.0.2.55")
    url = f"/people/{people['Ana']['id']}/requests?token={tokens['Ana']}"

    refused = ana.post(url, {"kind": "cover", "shift": str(bias["id"])}, status=422)
    assert "Este plantão não é seu" in refused.text
    assert "Não foi possível" in ana.post(url, {"kind": "later", "shift": str(bias["id"])}, status=422).text
    assert "não existe mais" in ana.post(url, {"kind": "cover", "shift": "99999999"}, status=404).text
    ana.post(url, {"kind": "cover", "shift": "x"}, status=404)
    # In English too.
    english = ana.post(url, {"kind": "cover", "shift": str(bias["id"])}, headers={"Accept-Language": "en"},
                       status=422)
    assert "This shift is not yours" in english.text
    # Nobody but Ana asks through Ana's page.
    ana.post(f"/people/{people['Bia']['id']}/requests?token={tokens['Ana']}",
             {"kind": "cover", "shift": str(bias["id"])}, status=403)
    assert testapp.get(API).json["requests"] == []


def test_on_a_private_roster_the_link_still_opens_the_request_and_nobody_else_reads_it(app_with, asked, tokens):
    private = app_with(public_roster=False)
    assert "Aceitar" in page_of(browser(private, "192.0.2.57"), asked, tokens["Bia"]).text
    assert "/admin/login" in page_of(browser(private, "192.0.2.58"), asked, status=303).location
