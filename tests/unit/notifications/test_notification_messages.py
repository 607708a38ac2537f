"""Messages, signatures, backoff and quiet hours: the pure parts of notifications."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from plantao.models import NotificationPreference
from plantao.notifications.dispatcher import MAX_BACKOFF, backoff
from plantao.notifications.events import KINDS, LOCALE_DIR, render
from plantao.notifications.fanout import quiet_until
from plantao_plugins.channels import sign, verify

TEAM = {"id": 1, "slug": "infra", "name": "Infra", "timezone": "America/Sao_Paulo"}
SHIFT = {"id": 7, "role": "primary", "person": 1, "person_name": "Ana",
         "start": "2031-03-04T12:00:00+00:00", "end": "2031-03-05T12:00:00+00:00"}
PAYLOADS = {
    "reminder": {"shift": SHIFT, "lead_minutes": 60},
    "handoff": {"shift": SHIFT, "previous": {**SHIFT, "person": 2, "person_name": "Bruno"}},
    "roster_changed": {"changes": [{"change": "reassigned", "shift": SHIFT, "from_person": 2,
                                    "from_person_name": "Bruno"}]},
    "coverage_gap": {"gaps": [{"role": "primary", "start": SHIFT["start"], "end": SHIFT["end"]}]},
    "digest": {"start": SHIFT["start"], "end": SHIFT["end"], "shifts": [SHIFT]},
    "cover_requested": {"recipients": [1], "request": {
        "id": 3, "kind": "cover", "status": "open", "role": "primary", "start": SHIFT["start"], "end": SHIFT["end"],
        "requester": {"id": 2, "name": "Bruno"}, "note": "", "accepted_by": None, "with": None}},
    "request_updated": {"recipients": [1, 2], "step": "accept", "request": {
        "id": 3, "kind": "cover", "status": "done", "role": "primary", "start": SHIFT["start"], "end": SHIFT["end"],
        "requester": {"id": 2, "name": "Bruno"}, "note": "", "accepted_by": {"id": 1, "name": "Ana"}, "with": None}},
}


@pytest.mark.parametrize("kind", KINDS)
def test_every_event_renders_in_both_languages_in_the_team_zone(kind):
    pt = render(kind, {"team": TEAM, **PAYLOADS[kind]}, "pt-BR", "https://plantao.example.com", {"id": 1, "name": "Ana"})
    en = render(kind, {"team": TEAM, **PAYLOADS[kind]}, "en", "https://plantao.example.com", None)
    assert pt.subject != en.subject
    assert "Veja a escala: https://plantao.example.com/teams/infra" in pt.text
    assert "See the roster: https://plantao.example.com/teams/infra" in en.text
    assert "09:00" in pt.text and "09:00" in en.text  # 12:00 UTC is 09:00 in São Paulo
    assert pt.html.startswith("<html>")


def test_a_request_links_to_itself_through_the_recipients_action_link():
    payload = {"team": TEAM, **PAYLOADS["cover_requested"]}
    offer = render("cover_requested", payload, "pt-BR", "https://p.example", {"id": 1, "name": "Ana",
                                                                                "action_token": "s3cr3t"})
    assert offer.subject == "Bruno pede cobertura em Infra"
    assert "https://p.example/teams/infra/requests/3?token=s3cr3t" in offer.text
    team_wide = render("cover_requested", payload, "en", "https://p.example", None)
    assert "https://p.example/teams/infra/requests/3\n" in team_wide.text and "token=" not in team_wide.text
    swap = {**PAYLOADS["cover_requested"]["request"], "kind": "swap",
            "with": {"person": {"id": 1, "name": "Ana"}, "role": "primary", "start": SHIFT["start"],
                     "end": SHIFT["end"]}}
    proposed = render("cover_requested", {"team": TEAM, "recipients": [1], "request": swap}, "en", "https://p.example",
                      {"id": 1, "name": "Ana"})
    assert proposed.subject == "Bruno proposes a swap in Infra"
    waiting = {"team": TEAM, "recipients": [2], "step": "accept",
               "request": {**PAYLOADS["request_updated"]["request"], "status": "awaiting_approval"}}
    assert "waiting for approval" in render("request_updated", waiting, "en", "https://p.example", None).subject


def test_the_catalogs_are_complete_and_compiled():
    for locale in ("pt_BR", "en"):
        po_path = LOCALE_DIR / locale / "LC_MESSAGES" / "plantao_notify.po"
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        with po_path.with_suffix(".mo").open("rb") as handle:
            compiled = read_mo(handle)
        ids = {m.id for m in catalog if m.id}
        assert ids == {m.id for m in compiled if m.id}
        assert not [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]


def test_a_webhook_signature_verifies_only_with_the_secret_the_body_and_a_fresh_timestamp():
    body = b'{"event": "handoff"}'
    header = sign("secret", 1_900_000_000, body)
    assert header.startswith("t=1900000000,v1=") and len(header.split("v1=")[1]) == 64
    assert verify("secret", header, body, now=1_900_000_010)
    assert not verify("other", header, body, now=1_900_000_010)
    assert not verify("secret", header, body + b" ", now=1_900_000_010)
    assert not verify("secret", header, body, now=1_900_001_000)  # replayed too late
    assert not verify("secret", "garbage", body)


def test_backoff_doubles_with_jitter_and_is_capped():
    rng = random.Random(1)
    for attempt in range(1, 8):
        delay = backoff(attempt, 30, rng).total_seconds()
        full = 30 * 2 ** (attempt - 1)
        assert full / 2 <= delay <= full
    assert backoff(40, 30, rng) <= MAX_BACKOFF


def test_quiet_hours_across_midnight():
    pref = NotificationPreference(quiet_start="22:00", quiet_end="07:00", timezone="America/Sao_Paulo")
    night = datetime(2031, 3, 4, 2, 0, tzinfo=timezone.utc)  # 23:00 in São Paulo
    assert quiet_until(pref, night, "UTC") == datetime(2031, 3, 4, 10, 0, tzinfo=timezone.utc)
    assert quiet_until(pref, night + timedelta(hours=12), "UTC") is None
