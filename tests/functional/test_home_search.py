"""The home page with many teams: a search box that works without JavaScript
(``/?q=``), and cards that say when coverage starts again in a gap instead of
counting down to a handoff nobody makes."""

from __future__ import annotations

from datetime import timedelta

import pytest

PT = {"Accept-Language": "pt-BR"}
EN = {"Accept-Language": "en"}


@pytest.fixture
def api(testapp, admin_headers):
    """``api(url, body)``: an admin's POST, as an integrator would make it."""

    def post(url: str, body: dict) -> dict:
        return testapp.post_json(url, body, headers=admin_headers).json

    return post


@pytest.fixture
def teams(api, today):
    """Four teams: ``dba`` is on call now and hands off tomorrow, ``hospital``
    ("Saúde") has nobody now and somebody tomorrow at 09:00, ``noc`` and
    ``infra`` have nobody scheduled at all."""
    for slug, name in [("dba", "Banco de Dados"), ("hospital", "Saúde"), ("noc", "Redes"), ("infra", "Infraestrutura")]:
        api("/api/v1/teams", {"slug": slug, "name": name})
    ana = api("/api/v1/people", {"name": "Ana Souza", "email": "ana@example.org"})
    bruno = api("/api/v1/people", {"name": "Bruno Lima", "email": "bruno@example.org"})
    tomorrow = today + timedelta(days=1)
    for slug, person, start, end in [
        ("dba", ana, f"{today.isoformat()}T00:00", f"{tomorrow.isoformat()}T00:00"),
        ("dba", bruno, f"{tomorrow.isoformat()}T00:00", f"{tomorrow.isoformat()}T12:00"),
        ("hospital", ana, f"{tomorrow.isoformat()}T09:00", f"{tomorrow.isoformat()}T18:00"),
    ]:
        api(f"/api/v1/teams/{slug}/overrides", {"person": person["id"], "start": start, "end": end})


def names(page) -> list[str]:
    return [h2.text.strip() for h2 in page.html.select(".boards .board h2")]


def card(page, slug: str):
    return page.html.select_one(f"#team-{slug}").find_parent("section")


def test_the_search_filters_teams_by_name_or_slug_ignoring_case_and_accents(testapp, teams):
    everything = testapp.get("/", headers=PT)
    assert names(everything) == ["Banco de Dados", "Infraestrutura", "Redes", "Saúde"]
    # The contract is a plain GET form: a real label, q, a submit button.
    form = everything.html.select_one("form.team-search")
    assert form["method"] == "get" and form["action"] == "/"
    field = form.select_one("input[name=q]")
    assert form.select_one(f"label[for={field['id']}]").text.strip() == "Buscar equipe"
    assert form.select_one("button[type=submit]")
    assert not field.get("value") and not form.select_one("a[href='/']")

    for query, expected in [
        ("banco", ["Banco de Dados"]),        # a word of the name
        ("NOC", ["Redes"]),                   # the slug, in any case
        ("saude", ["Saúde"]),                 # without the accent the name has
        ("  dados   BANCO ", ["Banco de Dados"]),  # every word, in any order
        ("e", ["Banco de Dados", "Infraestrutura", "Redes", "Saúde"]),
    ]:
        page = testapp.get("/", params={"q": query}, headers=PT)
        assert names(page) == expected, query
        # The box keeps what was typed, tidied, and offers to clear it.
        assert page.html.select_one("input[name=q]")["value"] == " ".join(query.split())
        assert page.html.select_one("form.team-search a[href='/']").text.strip() == "Limpar busca"

    # Nothing matches: said so, with the query as text and a way back.
    page = testapp.get("/", params={"q": "<b>cozinha</b>"}, headers=PT)
    assert names(page) == []
    empty = page.html.select_one(".search-empty:not([hidden])")
    assert empty.select_one("h2").text.strip() == "Nenhuma equipe encontrada para «<b>cozinha</b>»."
    assert empty.select_one("a[href='/']").text.strip() == "Limpar busca"
    assert "<b>cozinha" not in page.text  # shown as text, never as markup
    assert "No team yet" not in page.text and "Nenhuma equipe ainda" not in page.text
    english = testapp.get("/", params={"q": "cozinha"}, headers=EN)
    assert "No team matches «cozinha»." in english.text


def test_a_gap_says_when_somebody_is_on_call_again_not_a_handoff(testapp, teams):
    page = testapp.get("/", headers=PT)
    staffed, gap, empty = card(page, "dba"), card(page, "hospital"), card(page, "noc")
    assert "Passagem de plantão em" in staffed.select_one(".handoff").text

    assert "Ninguém está de plantão agora." in gap.text
    assert "Passagem de plantão" not in gap.text
    until = gap.select_one(".handoff.gap-until")
    assert " ".join(until.text.split()).startswith("Sem plantonista até ")
    assert "09:00" in until.select_one("time").text
    assert until.select_one("time")["datetime"] == until.select_one(".countdown")["data-countdown"]
    assert " (em " in " ".join(until.text.split())

    assert "Passagem de plantão" not in empty.text
    assert empty.select_one(".handoff.gap-until").text.strip() == "Ninguém escalado"

    english = testapp.get("/", headers=EN)
    assert " ".join(card(english, "hospital").select_one(".gap-until").text.split()).startswith("Nobody on call until ")
    assert "Handoff in" not in card(english, "hospital").text
    assert card(english, "noc").select_one(".gap-until").text.strip() == "Nobody scheduled"
    # The team page's big card says the same.
    team = testapp.get("/teams/hospital", headers=EN).html.select_one(".board.compact")
    assert "Handoff in" not in team.text and "Nobody on call until" in team.text


def test_the_box_shows_with_two_teams_and_abusive_searches_never_get_a_500(testapp, api):
    assert not testapp.get("/").html.select("form.team-search")
    api("/api/v1/teams", {"slug": "dba", "name": "Banco de Dados"})
    assert not testapp.get("/").html.select("form.team-search")
    api("/api/v1/teams", {"slug": "noc", "name": "Redes"})
    assert testapp.get("/").html.select("form.team-search input[name=q]")
    # A pasted essay is cut to 100 characters, then searched like any text.
    long = testapp.get("/", params={"q": "banco" + "x" * 10_000}, headers=EN)
    assert long.html.select_one("input[name=q]")["value"] == "banco" + "x" * 95
    assert names(long) == [] and "No team matches «banco" in long.text
    # Characters a regular expression or SQL would choke on are only text.
    assert names(testapp.get("/", params={"q": ".*[(\\ %_'"})) == []
    assert names(testapp.get("/", params={"q": "   "})) == ["Banco de Dados", "Redes"]
    # What is not text at all is refused, as everywhere in the app.
    testapp.get("/?q=%FF", status=400)
    testapp.get("/?q=a%00b", status=400)
