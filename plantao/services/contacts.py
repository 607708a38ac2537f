"""People's contacts: who may see which, and phone numbers in one form.

Phones, e-mail addresses and chat handles are personal data.  This module
holds the one rule every surface applies (pages, every API answer, every
export format, third-party ones included):

- a logged-in reader (viewer or admin) and a feed's secret link see every
  contact;
- an anonymous reader sees the phone and chat handles (Telegram and the
  others) of whoever is on call now or next, per team and role, and never
  an e-mail address; with ``PUBLIC_CONTACTS=false``, nothing at all;
- an anonymous export body carries no contacts: it is rendered once per
  roster revision and kept, so it cannot follow each handoff.

Phone numbers are parsed with ``phonenumbers`` (default region BR) and
stored in E.164 (``+5511912345678``); pages show Brazilian numbers in the
national format (``(11) 91234-5678``), others in the international one,
and link them as ``tel:+5511912345678``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..datetimes import utcnow
from ..read_model import ReadModel, RosterSnapshot
from ..models import Person
# The rule itself is plain data that export formats receive: it lives in the plugin API.
from ..plugin_api import (  # noqa: F401  (re-exported)
    FULL_CONTACTS,
    NO_CONTACTS,
    ON_DUTY_CONTACTS,
    ContactPolicy,
    Contacts,
)

#: Numbers typed without a country code are read as Brazilian.
DEFAULT_REGION = "BR"


# -- phone numbers ------------------------------------------------------------------------


class InvalidPhone(ValueError):
    """A phone number that ``phonenumbers`` cannot read as a valid number (code ``phone``)."""

    code = "phone"

    def __init__(self, message: str, raw: str = ""):
        super().__init__(message)
        self.params = {"value": raw}


def parse_phone(raw: str) -> phonenumbers.PhoneNumber:
    """``raw`` as a valid phone number, or :class:`InvalidPhone` saying why."""
    try:
        number = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise InvalidPhone(f"{raw!r} is not a phone number", raw) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(
            f"{raw!r} is not a valid phone number (with country and area code, e.g. +55 11 91234-5678)", raw
        )
    return number


def normalize_phone(raw: str | None) -> str | None:
    """The E.164 form of ``raw`` (blank is no phone); :class:`InvalidPhone` when invalid."""
    if raw is None or not raw.strip():
        return None
    return phonenumbers.format_number(parse_phone(raw), phonenumbers.PhoneNumberFormat.E164)


def display_phone(stored: str) -> str:
    """How pages show a stored number: national for Brazil, international otherwise.

    A number stored before validation existed and still invalid is shown
    as it was typed.
    """
    try:
        number = parse_phone(stored)
    except InvalidPhone:
        return stored
    if phonenumbers.region_code_for_number(number) == DEFAULT_REGION:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_uri(stored: str) -> str:
    """The ``tel:`` link of a stored number (RFC 3966, global form)."""
    try:
        number = parse_phone(stored)
    except InvalidPhone:
        return "tel:" + "".join(c for c in stored if c.isdigit() or c == "+")
    return "tel:" + phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def invalid_stored_phones(dbsession: Session) -> list[tuple[int, str, str]]:
    """``(id, name, phone)`` of every person whose stored phone is not a valid number.

    The migration to E.164 keeps such numbers as they were typed; ``plantao
    check`` lists them so that an admin corrects them.
    """
    found = []
    for person_id, name, phone in dbsession.execute(
        select(Person.id, Person.name, Person.phone).where(Person.phone.is_not(None)).order_by(Person.id)
    ):
        try:
            parse_phone(phone)
        except InvalidPhone:
            found.append((person_id, name, phone))
    return found


# -- who is on call now and next -----------------------------------------------------------


@dataclass(frozen=True)
class OnDuty:
    """Who is on call now, and who holds each role next: ``(team id, role, person id)``."""

    holders: frozenset[tuple[int, str, int]] = frozenset()

    def covers(self, person_id: int, team_id: int | None = None, role: str | None = None) -> bool:
        """Whether ``person_id`` is on call now or next (in that team and role, when given)."""
        return any(
            p == person_id and (team_id is None or t == team_id) and (role is None or r == role)
            for t, r, p in self.holders
        )

    @classmethod
    def of_shifts(cls, team_id: int, shifts: Iterable) -> OnDuty:
        """From shifts already known to be now and next (an ``oncall`` answer's)."""
        return cls(frozenset((team_id, s.role, s.person.id) for s in shifts))

    @classmethod
    def in_memory(cls, snapshot: RosterSnapshot, moment: datetime | None = None, team_id: int | None = None) -> OnDuty:
        """From the roster in memory: per team and role, the shift covering
        ``moment`` (default now) and the first one starting after it."""
        moment = moment or utcnow()
        rosters = [snapshot.teams[team_id]] if team_id in snapshot.teams else [] if team_id is not None else list(
            snapshot.teams.values()
        )
        holders = set()
        for roster in rosters:
            team = roster.team.id
            for shift in roster.overlapping(moment, moment + timedelta(microseconds=1)):
                holders.add((team, shift.role, shift.person.id))
            after = moment + timedelta(microseconds=1)
            for role in roster.shift_roles():
                first = roster.first_of_role(role, after)
                if first is None:
                    continue
                # Every shift of the role starting then (several people may share it).
                for shift in roster.starting_from(first.start):
                    if shift.start != first.start:
                        break
                    if shift.role == role:
                        holders.add((team, role, shift.person.id))
        return cls(frozenset(holders))


# -- the rule ------------------------------------------------------------------------------


class ReaderContacts:
    """A reader's :class:`ContactPolicy` with the roster it needs to be applied.

    Who is on call is read from the database only when a person's contacts
    depend on it, once per team (or once for all teams) per reader.
    """

    def __init__(self, policy: ContactPolicy, roster: ReadModel | None = None,
                 on_duty: OnDuty | None = None):
        """``roster`` is read when first needed; ``on_duty``, when the caller
        already knows who is on call (an ``oncall`` answer)."""
        self.policy = policy
        self._roster = roster
        self._known = on_duty
        self._loaded: dict[int | None, OnDuty] = {}

    def on_duty(self, team_id: int | None) -> OnDuty | None:
        """Who is on call now and next (in ``team_id``, or anywhere); None when unknown."""
        if self._known is not None or self._roster is None:
            return self._known
        if team_id not in self._loaded:
            self._loaded[team_id] = OnDuty.in_memory(self._roster.snapshot(), team_id=team_id)
        return self._loaded[team_id]

    @property
    def changes_with_time(self) -> bool:
        """Whether what this reader sees depends on who is on call now (phones of those on duty only)."""
        return self.policy.on_duty_only and self.policy.phone

    def shown(self, person, team_id: int | None = None, role: str | None = None) -> Contacts:
        on_duty = self.on_duty(team_id) if self.policy.on_duty_only and self.policy.phone else None
        return self.policy.shown(person, on_duty, team_id, role)


def reader_contacts(is_authenticated: bool, settings, roster: ReadModel | None) -> ReaderContacts:
    """The contacts one request's reader may see; ``roster`` is only read when needed."""
    return ReaderContacts(ContactPolicy.for_reader(is_authenticated, settings.public_contacts), roster)
