"""Cover and swap requests on a person's own page and on the team page (issue 13, section 3).

The scenario is the request pages' (tests/functional/pages/test_request_pages.py):
team "infra" with a daily rotation of Ana, Bia, Caio and Davi (handoff
09:00), started four weeks before a Monday one to two weeks ahead, so Ana
holds that Monday, Bia the Tuesday, and so on.  Opened with their action
link, a person's page carries a cover and a swap form under each shift
ahead, their own requests and the ones they may take; the old feed link and
other readers get none of it.  The team page lists the team's live requests
to whoever reads it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import webtest
from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.models import Person, Team
from plantao.services.context import ServiceContext
from plantao.services.requests import RequestService

from tests.functional.request_scenario import API, iso_local, shift_of


@pytest.fixture
def people(requests_admin):
    """The four of the rotation, and Eva, in no rotation."""
    names = ("Ana", "Bia", "Caio", "Davi", "Eva")
    return {name: requests_admin.post("/api/v1/people", {"name": name}, status=201).json for name in names}


@pytest.fixture
def tokens(people, clean_engine):
    """Each person's action token, and (as ``"<name>/feed"``) their feed token."""
    with clean_engine.connect() as connection:
        rows = connection.execute(select(Person.name, Person.action_token, Person.feed_token)).all()
    return {**{name: action for name, action, _ in rows}, **{f"{name}/feed": feed for name, _, feed in rows}}


def browser(app, address: str) -> webtest.TestApp:
    return webtest.TestApp(app, extra_environ={"REMOTE_ADDR": address})


def own_page(client, people, tokens, name: str, **kw):
    return client.get(f"/people/{people[name]['id']}", params={"token": tokens[name]}, **kw)


def request_forms(page, kind: str | None = None) -> list:
    """The page's forms posting to the person's requests route (``kind``: cover or swap only)."""
    return [form for form in page.forms.values()
            if (form.action or "").split("?")[0].endswith("/requests")
            and (kind is None or form["kind"].value == kind)]


def form_for(page, kind: str, shift_id: int):
    return next(form for form in request_forms(page, kind) if form["shift"].value == str(shift_id))


def ask_cover(testapp, tokens, name: str, day) -> dict:
    shift = shift_of(testapp, name, day)
    return testapp.post_json(f"{API}?token={tokens[name]}", {"kind": "cover", "shift": shift["id"]}, status=201).json


# -- the forms ---------------------------------------------------------------------------------


def test_the_action_link_shows_a_cover_and_a_swap_form_under_each_shift_ahead(
    app, testapp, people, tokens, daily, monday,
):
    ana = browser(app, "192.0.2.71")
    page = own_page(ana, people, tokens, "Ana")

    covers, swaps = request_forms(page, "cover"), request_forms(page, "swap")
    assert covers and len(covers) == len(swaps)
    mine = shift_of(testapp, "Ana", monday)
    cover = form_for(page, "cover", mine["id"])
    assert cover.action == f"http://localhost/people/{people['Ana']['id']}/requests?token={tokens['Ana']}"
    assert {"csrf_token", "kind", "shift", "start", "end", "note"} <= set(cover.fields)
    assert cover["start"].value == "" and cover["end"].value == ""
    assert page.html.select_one(f"#ask-start-{mine['id']}")["type"] == "datetime-local"
    assert "Deixe ambos vazios para pedir o plantão inteiro." in page.text
    assert "Pedir cobertura" in page.text and "Propor troca" in page.text
    # The swap offers colleagues' shifts only, each named with its time.
    options = page.html.select(f"#swap-with-{mine['id']} option")
    labels = [option.get_text() for option in options]
    assert labels and not [label for label in labels if label.startswith("Ana")]
    assert {label.split(":")[0] for label in labels} == {"Bia", "Caio", "Davi"}
    # The preferences name the request notifications.
    assert "Pedidos de cobertura e troca" in page.text and "Andamento dos pedidos" in page.text
    assert "Seus pedidos" in page.text and "Pedidos para você" in page.text


def test_asking_for_cover_through_the_form_opens_the_request_and_goes_to_its_page(
    app, testapp, people, tokens, daily, monday,
):
    ana = browser(app, "192.0.2.72")
    mine = shift_of(testapp, "Ana", monday)
    form = form_for(own_page(ana, people, tokens, "Ana"), "cover", mine["id"])
    form["note"] = "consulta médica"

    answer = form.submit(status=303)

    made = testapp.get(API).json["requests"][0]
    assert (made["kind"], made["start"], made["end"]) == ("cover", mine["start"], mine["end"])
    assert made["requester"]["name"] == "Ana" and made["note"] == "consulta médica"
    assert answer.location == f"http://localhost/teams/infra/requests/{made['id']}?token={tokens['Ana']}"
    assert "Seu pedido está aberto" in answer.follow().text


def test_asking_for_part_of_a_shift_through_the_form(app, testapp, people, tokens, daily, monday):
    ana = browser(app, "192.0.2.73")
    mine = shift_of(testapp, "Ana", monday)
    form = form_for(own_page(ana, people, tokens, "Ana"), "cover", mine["id"])
    form["start"], form["end"] = f"{monday.isoformat()}T13:00", f"{monday.isoformat()}T18:00"

    form.submit(status=303)

    made = testapp.get(API).json["requests"][0]
    assert (made["start"], made["end"]) == (iso_local(monday, "13:00"), iso_local(monday, "18:00"))


def test_proposing_a_swap_through_the_form(app, testapp, people, tokens, daily, monday):
    ana = browser(app, "192.0.2.74")
    mine = shift_of(testapp, "Ana", monday)
    theirs = shift_of(testapp, "Caio", monday + timedelta(days=1))
    form = form_for(own_page(ana, people, tokens, "Ana"), "swap", mine["id"])
    form["with_shift"] = str(theirs["id"])

    answer = form.submit(status=303)

    made = testapp.get(API).json["requests"][0]
    assert made["kind"] == "swap" and made["with"]["person"]["name"] == "Caio"
    assert made["with"]["start"] == theirs["start"]
    assert answer.location.endswith(f"/teams/infra/requests/{made['id']}?token={tokens['Ana']}")


# -- the lists ---------------------------------------------------------------------------------


def test_the_own_list_shows_live_and_closed_requests_linking_to_their_pages(
    app, testapp, people, tokens, daily, monday,
):
    live = ask_cover(testapp, tokens, "Ana", monday)
    closed = ask_cover(testapp, tokens, "Ana", monday + timedelta(days=4))
    testapp.post_json(f"{API}/{closed['id']}/cancel?token={tokens['Ana']}", {}, status=200)
    ana = browser(app, "192.0.2.75")

    page = own_page(ana, people, tokens, "Ana")

    item = page.html.select_one(f"#own-request-{live['id']}")
    assert "Aberto" in item.get_text(" ") and "Pedido de cobertura" in item.get_text(" ")
    assert item.a["href"] == f"http://localhost/teams/infra/requests/{live['id']}?token={tokens['Ana']}"
    assert "Cancelado" in page.html.select_one(f"#own-request-{closed['id']}").get_text(" ")
    # The shift already asked about links to its request instead of offering a second one.
    mine = shift_of(testapp, "Ana", monday)
    assert not [f for f in request_forms(page) if f["shift"].value == str(mine["id"])]
    assert f"Já pedido: pedido #{live['id']}" in page.text
    # Nobody else's page lists it as theirs.
    bia = own_page(browser(app, "192.0.2.76"), people, tokens, "Bia")
    assert not bia.html.select_one(f"#own-request-{live['id']}")


def test_an_eligible_colleague_is_offered_the_cover_and_others_are_not(
    app, testapp, admin, people, tokens, daily, monday,
):
    # Davi is on leave from the Sunday for ten days, so over Ana's next shift: it is not his to take.
    admin.post(f"/api/v1/people/{people['Davi']['id']}/leave",
               {"start": (monday - timedelta(days=1)).isoformat(), "end": (monday + timedelta(days=9)).isoformat()},
               status=201)
    asked = ask_cover(testapp, tokens, "Ana", monday)
    candidates = {c["name"] for c in testapp.get(f"{API}/{asked['id']}").json["candidates"]}
    assert "Bia" in candidates and "Davi" not in candidates

    bia = own_page(browser(app, "192.0.2.77"), people, tokens, "Bia")
    offer = bia.html.select_one(f"#offer-{asked['id']}")
    assert offer is not None and "Ana" in offer.get_text(" ")
    assert offer.a["href"] == f"http://localhost/teams/infra/requests/{asked['id']}?token={tokens['Bia']}"
    for name, address in (("Davi", "192.0.2.78"), ("Eva", "192.0.2.79"), ("Ana", "192.0.2.80")):
        page = own_page(browser(app, address), people, tokens, name)
        assert page.html.select_one(f"#offer-{asked['id']}") is None, name
    assert "Nada para assumir agora." in own_page(browser(app, "192.0.2.81"), people, tokens, "Eva").text


def test_a_swap_proposal_is_offered_to_the_colleague_it_names_only(app, testapp, people, tokens, daily, monday):
    mine = shift_of(testapp, "Ana", monday)
    theirs = shift_of(testapp, "Caio", monday + timedelta(days=1))
    asked = testapp.post_json(f"{API}?token={tokens['Ana']}",
                              {"kind": "swap", "shift": mine["id"], "with_shift": theirs["id"]}, status=201).json

    caio = own_page(browser(app, "192.0.2.82"), people, tokens, "Caio")
    assert "Proposta de troca" in caio.html.select_one(f"#offer-{asked['id']}").get_text(" ")
    bia = own_page(browser(app, "192.0.2.83"), people, tokens, "Bia")
    assert bia.html.select_one(f"#offer-{asked['id']}") is None


# -- who sees none of it -----------------------------------------------------------------------


def test_the_old_feed_link_and_other_readers_get_no_request_forms_nor_lists(
    app, app_with, testapp, people, tokens, daily, monday, today,
):
    ask_cover(testapp, tokens, "Ana", monday)
    # Until its last day the feed link opens the preferences, and still never asks nor answers.
    old = browser(app_with(feed_link_preferences_until=today), "192.0.2.84")
    page = old.get(f"/people/{people['Ana']['id']}", params={"token": tokens["Ana/feed"]})
    assert "preferences" in " ".join(form.action for form in page.forms.values())
    assert not request_forms(page)
    assert "Seus pedidos" not in page.text and "Pedir cobertura" not in page.text
    # Any other reader, anonymous or with a colleague's link, only reads.
    for reader, query in ((testapp, {}), (browser(app, "192.0.2.85"), {"token": tokens["Bia"]})):
        other = reader.get(f"/people/{people['Ana']['id']}", params=query)
        assert not other.forms
        assert "Seus pedidos" not in other.text and "Pedir cobertura" not in other.text


# -- the team page -----------------------------------------------------------------------------


def test_the_team_page_lists_the_live_requests_and_not_the_closed_ones(app, testapp, people, tokens, daily, monday):
    assert "Pedidos em aberto" not in testapp.get("/teams/infra").text
    live = ask_cover(testapp, tokens, "Ana", monday)
    closed = ask_cover(testapp, tokens, "Bia", monday + timedelta(days=1))
    testapp.post_json(f"{API}/{closed['id']}/cancel?token={tokens['Bia']}", {}, status=200)

    page = testapp.get("/teams/infra")

    assert "Pedidos em aberto" in page.text
    item = page.html.select_one(f"#team-request-{live['id']}")
    text = item.get_text(" ")
    assert "Pedido de cobertura" in text and "Ana" in text and "Aberto" in text
    assert item.a["href"] == f"/teams/infra/requests/{live['id']}"
    assert page.html.select_one(f"#team-request-{closed['id']}") is None
    english = testapp.get("/teams/infra", headers={"Accept-Language": "en"})
    assert "Open requests" in english.text and "Cover request" in english.text


def test_without_the_roster_in_memory_the_team_list_is_one_read_of_the_live_requests(
    testapp, people, tokens, daily, monday, settings, plugins, clean_engine,
):
    live = ask_cover(testapp, tokens, "Ana", monday)
    closed = ask_cover(testapp, tokens, "Bia", monday + timedelta(days=1))
    testapp.post_json(f"{API}/{closed['id']}/cancel?token={tokens['Bia']}", {}, status=200)
    with Session(clean_engine) as session:
        team_id = session.scalar(select(Team.id).where(Team.slug == "infra"))
        found = RequestService(ServiceContext(session, settings, plugins)).live_of_team(team_id)
        assert [(item.id, name, with_name) for item, name, with_name in found] == [(live["id"], "Ana", None)]
