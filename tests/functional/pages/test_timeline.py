"""A team's timeline (``/teams/{slug}?view=timeline``): the final roster on top, the
overrides and leave, and one lane per rotation with its own turns; bars coloured
like the month grid, names never cut, a window chosen by ``zoom`` and ``from``."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.conftest import statements

LONG_NAME = "Luís Gonçalves de Albuquerque"


@pytest.fixture
def layered(roster, api, today):
    """``roster`` plus a daily "Reserva" rotation of Luís, which loses every hour to the weekly
    one (same role and priority, created later), Luís's override tomorrow afternoon and
    Bruno's leave today."""
    luis = api("POST", "/api/v1/people", {"name": LONG_NAME})
    api("POST", "/api/v1/teams/infra/rotations", {
        "name": "Reserva", "policy": "daily", "members": [luis["id"]],
        "start": f"{roster['monday'].isoformat()}T09:00",
    })
    tomorrow = today + timedelta(days=1)
    api("POST", "/api/v1/teams/infra/overrides", {
        "person": luis["id"], "start": f"{tomorrow.isoformat()}T14:00", "end": f"{tomorrow.isoformat()}T16:00",
    })
    api("POST", f"/api/v1/people/{roster['bruno']['id']}/leave", {
        "start": today.isoformat(), "end": (today + timedelta(days=1)).isoformat(),
    })
    return {**roster, "luis": luis}


def lanes(page, group: str) -> list:
    """The lanes of one group: ``final``, ``changes`` or ``layers``."""
    return page.html.select(f".lane-group.lane-{group} .lane")


def titles(lane) -> list[str]:
    """What each bar of ``lane`` says in full (its title)."""
    return [bar.a["title"] for bar in lane.select(".timeline-bar")]


def test_the_timeline_shows_the_final_roster_overrides_and_leave_and_each_rotation_alone(
    testapp, layered, api, app, clean_engine,
):
    page = testapp.get("/teams/infra", {"view": "timeline"}, headers={"Accept-Language": "en"})
    html = page.html
    # One final lane (one role), one lane of overrides and leave, one lane per rotation.
    [final] = lanes(page, "final")
    [changes] = lanes(page, "changes")
    layers = lanes(page, "layers")
    assert [lane.select_one(".lane-label").text.strip() for lane in layers] == ["Semanal", "Reserva"]
    # Luís's override and Bruno's leave, in their lane.
    [override] = changes.select(".timeline-bar.is-override")
    assert override.a["title"].startswith(f"Override: {LONG_NAME}, ")
    [leave] = changes.select(".timeline-bar.is-leave")
    assert leave.a["title"].startswith("On leave: Bruno Lima, ")
    # The final roster is what is stored: Carla's week; Luís holds only his override, marked so.
    assert any(title.startswith("Carla Dias, ") for title in titles(final))
    assert [title for title in titles(final) if LONG_NAME in title] == [override.a["title"]] == [
        bar.a["title"] for bar in final.select(".timeline-bar.is-override")
    ]
    # Luís's own rotation puts him on duty every day, though the weekly one wins every hour.
    reserve_bars = layers[1].select(".timeline-bar")
    assert len(reserve_bars) >= 7 and all(LONG_NAME in bar.a["title"] for bar in reserve_bars)

    # Colours are the month grid's: one class per person, the same on both views.
    month = testapp.get("/teams/infra").html
    grid = {s.select_one(".shift-name").text.strip(): c for s in month.select(".calendar .shift")
            for c in s["class"] if c.startswith("person-")}
    carla = next(bar for bar in final.select(".timeline-bar") if "Carla Dias" in bar.a["title"])
    assert grid["Carla Dias"] in carla["class"]

    # A long name is never cut: too long for a day's bar, it shows initials, with the whole
    # name in the title, the accessible label and the legend; the bar is a link (keyboard focus).
    assert "…" not in page.text and "..." not in page.text
    for bar in reserve_bars:
        # Screen readers read the whole text, not the initials or the name the bar shows.
        assert bar.a.find(class_="visually-hidden").get_text() == bar.a["title"] and LONG_NAME in bar.a["title"]
        assert bar.a["href"] == f"/people/{layered['luis']['id']}"
        assert bar.select_one(".bar-name") is None or bar.select_one(".bar-name").text == LONG_NAME
    assert any(bar.select_one(".bar-initials") is not None and bar.select_one(".bar-initials").text == "LG"
               for bar in reserve_bars)
    legend = [chip.text.split(None, 1)[1].strip() for chip in html.select(".timeline-legend .chip")]
    assert LONG_NAME in legend and "Carla Dias" in legend and "Bruno Lima" in legend
    # The current time is a line inside this week; English labels throughout.
    assert html.select_one(".timeline-now")["style"].startswith("left: ")
    assert [title.text.strip() for title in html.select(".lane-title")] == [
        "Final roster", "Overrides and leave", "Rotation layers",
    ]
    assert [a.text for a in html.select(".zoom-switch a")] == ["Day", "Week", "2 weeks", "Month"]
    assert html.select_one(".zoom-switch a[aria-current=page]").text == "Week"
    assert html.select_one(".view-switch a[aria-current=page]").text == "Timeline"

    # Read again, nothing asks the database: the final lane is the roster in memory,
    # the rotation layers are kept for this team roster and window.
    app.registry.read_model.freshness = 3600
    with statements(clean_engine) as seen:
        again = testapp.get("/teams/infra", {"view": "timeline"}, headers={"Accept-Language": "en"})
    assert seen == []
    assert str(again.html.select(".lane-group")) == str(html.select(".lane-group"))
    # A change of the team shows on the next read.
    api("POST", "/api/v1/teams/infra/rotations", {
        "name": "Extra", "policy": "weekly", "members": [layered["ana"]["id"]],
        "start": f"{layered['monday'].isoformat()}T09:00", "priority": -1,
    })
    changed = testapp.get("/teams/infra", {"view": "timeline"}, headers={"Accept-Language": "pt-BR"})
    assert [lane.select_one(".lane-label").text.split()[0] for lane in lanes(changed, "layers")] == [
        "Semanal", "Reserva", "Extra",
    ]
    assert [title.text.strip() for title in changed.html.select(".lane-title")] == [
        "Escala final", "Substituições e ausências", "Camadas dos rodízios",
    ]


def test_zoom_and_from_choose_the_window_and_bad_values_are_a_400(testapp, roster, today, app, monkeypatch):
    # The month page links to the timeline, which is a week by default, with today in it.
    month = testapp.get("/teams/infra", headers={"Accept-Language": "en"}).html
    assert month.select_one(".view-switch a[aria-current=page]").text == "Month"
    week = testapp.get(month.select_one(".view-switch a:not([aria-current])")["href"]).html
    assert len(week.select(".timeline-scale .tick")) == 7 and week.select(".timeline-scale .tick.today")

    # A day, every three hours; its neighbours a day away; "today" leads back.
    day = date(2020, 3, 2)
    page = testapp.get("/teams/infra", {"zoom": "day", "from": day.isoformat()}).html
    assert len(page.select(".timeline-scale .tick")) == 8
    assert page.select_one("a[rel=prev]")["href"].endswith("from=2020-03-01")
    assert page.select_one("a[rel=next]")["href"].endswith("from=2020-03-03")
    assert not page.select(".timeline-now")  # not in this window
    today_link = page.select_one(".timeline-view .month-nav .button")["href"]
    assert "from=" not in today_link and "zoom=day" in today_link
    # Two weeks from any day; a month is the calendar month holding the date.
    fortnight = testapp.get("/teams/infra", {"view": "timeline", "zoom": "2weeks", "from": "2020-03-04"}).html
    assert len(fortnight.select(".timeline-scale .tick")) == 14
    assert fortnight.select_one("a[rel=next]")["href"].endswith("from=2020-03-18")
    february = testapp.get("/teams/infra", {"view": "timeline", "zoom": "month", "from": "2024-02-10"}).html
    assert len(february.select(".timeline-scale .tick")) == 29
    assert february.select_one("a[rel=next]")["href"].endswith("from=2024-03-01")
    # Another zoom keeps the place; the week window now holds today and the current time.
    this_month = testapp.get("/teams/infra", {"zoom": "month"}).html
    assert this_month.select(".timeline-now")
    assert len(this_month.select(".timeline-scale .tick")) == ((today.replace(day=28) + timedelta(days=4)).replace(day=1)
                                                                - timedelta(days=1)).day

    # While the database does not answer, each rotation's lane shows its stored shifts, and says so.
    monkeypatch.setattr(app.registry.read_model, "stale_seconds", lambda: 30)
    stale = testapp.get("/teams/infra", {"view": "timeline"}, headers={"Accept-Language": "en"})
    assert "cannot be computed right now" in stale.html.select_one(".lane-layers .lane-note.warn").text
    [layer] = lanes(stale, "layers")
    assert layer.select_one(".lane-label").text.strip().startswith("Rotation ")
    assert titles(layer) and set(titles(layer)) <= set(titles(lanes(stale, "final")[0]))
    monkeypatch.undo()

    for params in (
        {"view": "list"}, {"view": "timeline", "zoom": "year"}, {"zoom": "Week"}, {"from": "2026-02-30"},
        {"from": "yesterday"}, {"from": "1900-01-01"}, {"from": "2200-12-01"}, {"from": "2026-3-1"},
    ):
        answer = testapp.get("/teams/infra", params, status=400, headers={"Accept-Language": "en"})
        assert "Bad request" in answer.text
