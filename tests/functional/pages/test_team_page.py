"""A team's page: the month calendar, its list view, the filter, the feed box."""

from __future__ import annotations

from datetime import timedelta

from plantao.i18n import Formatter


def test_unknown_team_is_a_404(testapp):
    testapp.get("/teams/nope", status=404)


def test_month_calendar_marks_today_and_colours_shifts_by_person(testapp, roster, today):
    page = testapp.get("/teams/infra", headers={"Accept-Language": "pt-BR"})
    html = page.html
    assert html.select_one("h1").text.strip() == "Infraestrutura"
    [cell] = html.select(".calendar td.today")
    assert cell.select_one(".day-num").text.strip() == str(today.day)
    assert cell.select(".shift")
    classes = {c for shift in html.select(".calendar .shift") for c in shift["class"] if c.startswith("person-")}
    assert len(classes) >= 2
    # Seven columns, weekday names in Portuguese, Sunday first in Brazil.
    names = [th.text.strip() for th in html.select(".calendar thead th")]
    assert len(names) == 7 and names[0].lower().startswith("dom")


def test_month_navigation_moves_a_month_at_a_time(testapp, roster, today):
    page = testapp.get("/teams/infra")
    previous = page.html.select_one("a[rel=prev]")["href"]
    following = page.html.select_one("a[rel=next]")["href"]
    month = today.replace(day=1)
    before = (month - timedelta(days=1)).strftime("%Y-%m")
    after = (month + timedelta(days=32)).replace(day=1).strftime("%Y-%m")
    assert previous.endswith(f"month={before}") and following.endswith(f"month={after}")
    nxt = testapp.get(following)
    assert not nxt.html.select(".calendar td.today:not(.outside)")
    assert nxt.html.select(".calendar .shift")


def test_bad_month_falls_back_to_this_month(testapp, roster):
    page = testapp.get("/teams/infra", params={"month": "2026-13"})
    assert page.html.select(".calendar td.today")


def test_overrides_and_leave_are_marked(testapp, roster, api, today):
    ana, bruno = roster["ana"], roster["bruno"]
    day = today + timedelta(days=2)
    api("POST", "/api/v1/teams/infra/overrides", {
        "person": ana["id"], "start": f"{day.isoformat()}T09:00", "end": f"{day.isoformat()}T18:00",
    })
    api("POST", f"/api/v1/people/{bruno['id']}/leave", {
        "start": today.isoformat(), "end": (today + timedelta(days=1)).isoformat(),
    })
    month = day.strftime("%Y-%m")
    page = testapp.get("/teams/infra", params={"month": month}, headers={"Accept-Language": "en"})
    assert page.html.select(".calendar .shift.is-override")
    assert page.html.select(".agenda .badge.override")
    this_month = testapp.get("/teams/infra", headers={"Accept-Language": "en"})
    # The leave is a bar in the row under today's week, in today's column.
    [bar] = this_month.html.select(".calendar .leave-span")
    assert " ".join(bar.text.split()).startswith("On leave: Bruno Lima")
    week = bar.find_parent("tr").find_previous_sibling("tr", class_="has-leave")
    column = sum(int(td.get("colspan", 1)) for td in bar.find_previous_siblings("td"))
    assert "today" in week.select("td")[column]["class"]


def test_a_leave_across_two_weeks_is_one_span_in_each_week_row(testapp, roster, api, today):
    # Ten days from a Wednesday in the middle of next month: Wednesday to Saturday, then Sunday to Friday.
    month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    wednesday = month + timedelta(days=7 + (2 - month.weekday()) % 7)
    api("POST", f"/api/v1/people/{roster['bruno']['id']}/leave", {
        "start": wednesday.isoformat(), "end": (wednesday + timedelta(days=10)).isoformat(),
    })
    page = testapp.get("/teams/infra", params={"month": month.strftime("%Y-%m")}, headers={"Accept-Language": "pt-BR"})
    calendar = page.html.select_one(".calendar")

    spans = calendar.select(".leave-span")
    assert [span.get("colspan") for span in spans] == ["4", "6"]
    assert [[td.get("colspan") for td in span.find_parent("tr").select("td")] for span in spans] == [
        [None, None, None, "4"], ["6", None],
    ]
    last = Formatter("pt_BR", "America/Sao_Paulo").day(wednesday + timedelta(days=9))
    for span in spans:
        text = " ".join(span.text.split())
        assert text.count("Bruno Lima") == 1 and last in text
    # The name with "Ausente" twice in the grid, not once a day; the list view has it once.
    assert calendar.text.count("Ausente") == 2
    assert len(page.html.select(".agenda .agenda-item.is-leave")) == 1


def test_list_view_lists_each_shift_of_the_month_once(testapp, roster, shifts_json):
    page = testapp.get("/teams/infra")
    items = page.html.select(".agenda .agenda-item.is-shift")
    assert items
    names = [i.select_one(".list-name").contents[0].strip() for i in items]
    assert set(names) <= {"Ana Souza", "Bruno Lima", "Carla Dias"}
    assert len(items) == len(shifts_json)


def test_filter_by_person_keeps_only_their_shifts(testapp, roster, oncall):
    holder = oncall()["oncall"][0]["person"]
    page = testapp.get("/teams/infra", params={"person": str(holder["id"])})
    names = {s.select_one(".shift-name").text.strip() for s in page.html.select(".calendar .shift")}
    assert names == {holder["name"]}
    assert page.html.select_one(f"#person-filter option[value='{holder['id']}']").has_attr("selected")
    # The month links keep the filter.
    assert f"person={holder['id']}" in page.html.select_one("a[rel=next]")["href"]


def test_filter_form_works_without_javascript(testapp, roster, oncall):
    handoff = oncall()["next_handoff"]
    page = testapp.get("/teams/infra", params={"month": handoff["at"][:7]})
    form = page.forms[0]
    assert form["month"].value == handoff["at"][:7]
    form["person"] = str(handoff["person"]["id"])
    result = form.submit()
    names = {s.select_one(".shift-name").text.strip() for s in result.html.select(".calendar .shift")}
    assert names == {handoff["person"]["name"]}


def test_print_stylesheet_fits_a_month_on_a4(testapp):
    page = testapp.get("/")
    css = testapp.get(page.html.select_one("link[rel=stylesheet]")["href"].replace("http://localhost", "")).text
    assert "@media print" in css and "size: A4" in css


def test_subscribe_box_links_the_teams_ical_feed(testapp, roster):
    page = testapp.get("/teams/infra")
    box = page.html.select_one("#subscribe")
    https = box.select_one("#feed-url")["value"]
    webcal = box.select_one("a.button")["href"]
    assert https == "http://localhost/api/v1/teams/infra/export.ics"
    assert webcal == "webcal://localhost/api/v1/teams/infra/export.ics"
    # A public roster's feed needs no token, and the link really is the feed.
    feed = testapp.get(https.replace("http://localhost", ""))
    assert feed.content_type == "text/calendar" and "BEGIN:VCALENDAR" in feed.text


def test_person_page_links_the_persons_feed(testapp, roster):
    ana = roster["ana"]
    page = testapp.get(f"/people/{ana['id']}")
    https = page.html.select_one("#feed-url")["value"]
    assert https == f"http://localhost/api/v1/people/{ana['id']}/export.ics"
    assert testapp.get(https.replace("http://localhost", "")).content_type == "text/calendar"
