"""Credentials honoured from memory while the database is away: ten minutes, no secrets kept."""

from __future__ import annotations

from plantao.services.login import REMEMBERED_FOR, RecentlyValidated


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_credential_validated_lately_is_recalled_for_ten_minutes_only():
    clock = Clock()
    recent = RecentlyValidated(clock=clock)
    recent.remember("s3cret", "admin")
    assert recent.recall("s3cret") == "admin"
    assert recent.recall("other") is None
    clock.now += REMEMBERED_FOR - 1
    assert recent.recall("s3cret") == "admin"
    clock.now += 1
    assert recent.recall("s3cret") is None
    assert REMEMBERED_FOR == 600


def test_only_a_hash_of_the_secret_is_kept():
    recent = RecentlyValidated()
    recent.remember("s3cret", "viewer")
    assert "s3cret" not in repr(recent._seen)


def test_a_secret_forgotten_at_logout_is_never_recalled():
    recent = RecentlyValidated()
    recent.remember("s3cret", "admin")
    recent.forget("s3cret")
    assert recent.recall("s3cret") is None
