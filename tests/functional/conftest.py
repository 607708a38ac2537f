"""Fixtures every functional suite (admin panel, JSON API, pages) shares.

The app, its WebTest client and the admin credential come from
``tests/conftest.py``; here is what the suites add on top of them: the app
without the failed-login delay, apps built with other settings, the days
the scenarios start on, and the admin forms' CSRF token.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

# The scenario of cover and swap requests (team infra, a daily rotation of four).
from tests.functional.request_scenario import daily, people, requests_admin, tokens  # noqa: F401

#: The zone of the ``settings`` fixture (PLANTAO_TIMEZONE), and so of new teams.
SAO_PAULO = "America/Sao_Paulo"


@pytest.fixture
def app(app):
    """The app without the failed-login delay: the limit is tested, not the waiting."""
    app.registry.login_throttle.delay_step = 0
    return app


@pytest.fixture
def app_with(settings, clean_engine, plugins):
    """``app_with(public_roster=False, ...)``: the whole app built with those settings changed.

    Like ``app``, it does not wait after a failed login.
    """
    from plantao.app import make_app

    def build(**changes):
        changed = make_app(dataclasses.replace(settings, **changes), plugins=plugins, engine=clean_engine)
        changed.registry.login_throttle.delay_step = 0
        return changed

    return build


@pytest.fixture
def today() -> date:
    """Today in São Paulo, the zone the scenarios' wall-clock times are read in."""
    return datetime.now(ZoneInfo(SAO_PAULO)).date()


@pytest.fixture
def monday(today) -> date:
    """A Monday between one and two weeks ahead: the scenarios start there."""
    return today + timedelta(days=7 + (-today.weekday()) % 7)


def csrf_of(page) -> str:
    """The CSRF token the forms of ``page`` carry."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "the page has no CSRF token"
    return match.group(1)


@pytest.fixture
def csrf():
    """``csrf(page)``: the CSRF token a page's forms carry."""
    return csrf_of
