"""Portuguese that reads like a Brazilian wrote it (issue 15, §3).

The catalogues follow the glossary (tests/unit/test_glossary.py); these are
the words that come from elsewhere: who the person page calls "você", and
the time zone's comment a calendar shows, written by the iCal library in
English unless told otherwise.
"""

from __future__ import annotations

from datetime import date, timedelta

import icalendar
from sqlalchemy import select

from plantao.models import Person


def test_only_the_person_themselves_is_told_sua_agenda(testapp, app, roster):
    ana = roster["ana"]
    anonymous = testapp.get(f"/people/{ana['id']}", headers={"Accept-Language": "pt-BR"})
    subscribe = anonymous.html.select_one("#subscribe").text
    assert "Agenda de Ana Souza" in subscribe and "Assine os plantões de Ana Souza" in subscribe
    assert "Sua agenda" not in anonymous.text and "seus plantões" not in subscribe.lower()

    with app.registry["dbsession_factory"]() as db:
        token = db.scalar(select(Person.action_token).where(Person.id == ana["id"]))
    own = testapp.get(f"/people/{ana['id']}", params={"token": token}, headers={"Accept-Language": "pt-BR"})
    assert "Sua agenda" in own.html.select_one("#subscribe").text
    english = testapp.get(f"/people/{ana['id']}", headers={"Accept-Language": "en"})
    assert "Calendar of Ana Souza" in english.html.select_one("#subscribe").text


def test_the_feed_says_the_time_zone_comment_in_its_language(testapp, roster):
    today = date.today()
    interval = {"start": today.isoformat(), "end": (today + timedelta(days=7)).isoformat()}

    def zone_comments(lang):
        body = testapp.get("/api/v1/teams/infra/export.ics", params={**interval, "lang": lang}).body
        zones = icalendar.Calendar.from_ical(body).walk("VTIMEZONE")
        assert zones
        return [str(zone["COMMENT"]) for zone in zones]

    portuguese = zone_comments("pt-BR")
    assert all(c.startswith("Este fuso horário vale de 01/01/") for c in portuguese), portuguese
    english = zone_comments("en")
    assert all(c.startswith("This time zone is valid from ") for c in english), english
