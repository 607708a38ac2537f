"""The home page: who is on call now in every team, and the next seven days."""

from __future__ import annotations


def test_an_empty_instance_says_how_to_start(testapp):
    page = testapp.get("/", headers={"Accept-Language": "en"})
    assert "No team yet" in page.text
    assert 'href="/admin/"' in page.text


def test_home_names_who_is_on_call_now_and_next_like_the_api(testapp, roster, oncall):
    state = oncall()
    now = state["oncall"][0]["person"]
    following = state["next_handoff"]["person"]
    page = testapp.get("/", headers={"Accept-Language": "pt-BR"})
    board = page.html.select_one(".board")
    assert board.select_one("h2").text.strip() == "Infraestrutura"
    assert board.select_one(".holder-name").text.strip() == now["name"]
    assert board.select_one(".next .next-name").text.strip() == following["name"]
    # The phone is a tel: link; chat links where a link is known.
    phones = [a["href"] for a in board.select("a.contact.phone")]
    assert phones[0] == "tel:" + now["phone"].replace(" ", "").replace("-", "")
    assert board.select_one(".countdown").text.strip()
    assert board.select_one(".handoff")
    assert board.select_one("a[href='/teams/infra']")


def test_home_countdown_points_at_the_next_handoff(testapp, roster, oncall):
    from datetime import datetime

    state = oncall()
    page = testapp.get("/")
    target = page.html.select_one(".countdown")["data-countdown"]
    assert datetime.fromisoformat(target) == datetime.fromisoformat(state["next_handoff"]["at"])


def test_home_shows_a_strip_of_the_next_seven_days(testapp, roster, today):
    page = testapp.get("/")
    days = page.html.select(".strip .strip-day")
    assert len(days) == 7
    assert "today" in days[0]["class"]
    assert days[0].select_one(".strip-num").text.strip() == str(today.day)
    assert all(day.select(".chip") for day in days)


def test_home_shows_a_gap_when_nobody_is_on_call(testapp, api):
    api("POST", "/api/v1/teams", {"slug": "vazio", "name": "Equipe vazia"})
    page = testapp.get("/", headers={"Accept-Language": "en"})
    assert "Nobody is on call right now." in page.text


def test_static_files_are_versioned_and_cached(testapp):
    page = testapp.get("/")
    css = page.html.select_one("link[rel=stylesheet]")["href"]
    assert "plantao.css?v=" in css
    response = testapp.get(css.replace("http://localhost", ""))
    assert response.cache_control.max_age >= 3600
    js = page.html.select_one("script[src]")["src"]
    assert testapp.get(js.replace("http://localhost", "")).content_type in ("application/javascript", "text/javascript")
