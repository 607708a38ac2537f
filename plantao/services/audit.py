"""Recording every write in the audit log, and reading it back."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, and_, case, cast, false, func, insert, or_, select
from sqlalchemy.orm import Session

from ..db import execute_write
from ..models import (
    Account,
    ApiToken,
    AuditEntry,
    ChannelConfig,
    Delivery,
    HoursClosure,
    Leave,
    Override,
    Person,
    Rotation,
    RotationVersion,
    ShiftRequest,
    Team,
)
from .context import SYSTEM, Actor, ServiceContext  # noqa: F401  (Actor and SYSTEM: re-exported)


def record(
    dbsession: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: Any,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    """Write an audit entry in the current transaction (it commits with the change).

    Every write pays for it, so it is a table statement built once
    (:func:`~plantao.db.execute_write`); the transaction counts as a write,
    so it commits even when the entry is all it wrote.
    """
    execute_write(
        dbsession,
        _AUDIT_ENTRY,
        {
            "actor": actor.credential,
            "client_addr": actor.client_addr,
            "action": action,
            "entity": entity,
            "entity_id": None if entity_id is None else str(entity_id),
            "before": before,
            "after": after,
        },
    )


_AUDIT_ENTRY = insert(AuditEntry.__table__)


@dataclass(frozen=True)
class AuditPage:
    """One page of the audit log, newest first, and whether older entries follow."""

    entries: list[AuditEntry]
    more: bool


class AuditService:
    """The audit log as the API and the admin panel page through it."""

    def __init__(self, ctx: ServiceContext):
        self.dbsession = ctx.dbsession

    def page(
        self,
        size: int,
        *,
        before: int | None = None,
        entity: str | None = None,
        actor: str | None = None,
        teams: frozenset[str] | None = None,
    ) -> AuditPage:
        """Up to ``size`` entries older than entry ``before``, of ``entity`` and by ``actor`` (any
        when empty), about ``teams`` (see :meth:`about_teams`; every entry when None), newest first.

        The next page is the one ``before`` the last entry of this one.
        """
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(size + 1)
        if before is not None:
            query = query.where(AuditEntry.id < before)
        if entity:
            query = query.where(AuditEntry.entity == entity)
        if actor:
            query = query.where(AuditEntry.actor == actor)
        if teams is not None:
            query = query.where(self.about_teams(teams))
        entries = list(self.dbsession.scalars(query))
        return AuditPage(entries[:size], len(entries) > size)

    def actors(self, limit: int = 200, *, teams: frozenset[str] | None = None) -> list[str]:
        """Who wrote to the audit log (the credentials as entries name them), at most ``limit``;
        only those who wrote about ``teams`` when given."""
        query = select(AuditEntry.actor).distinct().order_by(AuditEntry.actor).limit(limit)
        if teams is not None:
            query = query.where(self.about_teams(teams))
        return list(self.dbsession.scalars(query))

    def about_teams(self, slugs: frozenset[str]):
        """The condition of the entries about the teams ``slugs``: a team admin's share of the log.

        The log has no team column, so it is read from what the entries store:
        the team itself (its slug as the id: its changes, its feed link, its
        notification settings), its notification channels (``slug/channel``),
        whatever names the team in its before or after (rotations, overrides
        and swaps, and any kind that records a ``team``), its deliveries, and
        the leave of its members (in any version of its rotations, or its
        fallback, as they are now).
        """
        slugs = sorted(slugs)
        if not slugs:
            return false()
        teams = list(self.dbsession.execute(select(Team.id, Team.fallback_person_id).where(Team.slug.in_(slugs))))
        team_ids = [team_id for team_id, _fallback in teams]
        members = {fallback for _team_id, fallback in teams if fallback is not None}
        if team_ids:
            listed = select(RotationVersion.members).join(RotationVersion.rotation).where(Rotation.team_id.in_(team_ids))
            for names in self.dbsession.scalars(listed):
                members.update(m for m in names or () if isinstance(m, int))
        named_team = func.coalesce(AuditEntry.after["team"].as_string(), AuditEntry.before["team"].as_string())
        # Read as a number only on leave entries: elsewhere "person" may be anything.
        leave_person = case(
            (AuditEntry.entity == "leave",
             func.coalesce(AuditEntry.after["person"].as_integer(), AuditEntry.before["person"].as_integer())),
            else_=None,
        )
        conditions = [
            and_(AuditEntry.entity.in_(("team", "notification_settings")), AuditEntry.entity_id.in_(slugs)),
            and_(AuditEntry.entity == "notification_channel",
                 or_(*(AuditEntry.entity_id.startswith(f"{slug}/", autoescape=True) for slug in slugs))),
            named_team.in_(slugs),
        ]
        if team_ids:
            deliveries = select(cast(Delivery.id, String)).where(Delivery.team_id.in_(team_ids))
            conditions.append(and_(AuditEntry.entity == "delivery", AuditEntry.entity_id.in_(deliveries)))
        if members:
            conditions.append(leave_person.in_(sorted(members)))
        return or_(*conditions)

    def names(self, entries: list[AuditEntry], actors: list[str] = ()) -> AuditNames:
        """The names of the accounts, people and teams ``entries`` mention, and of the accounts
        among ``actors`` (credentials), in one query per kind."""
        emails, people, slugs, accounts = set(), set(), set(), set()
        for actor in {*actors, *(entry.actor for entry in entries)}:
            through_link = PERSON_LINK_ACTOR.match(actor)
            if actor.startswith(ACCOUNT_ACTOR):
                emails.add(actor[len(ACCOUNT_ACTOR):])
            elif through_link:
                people.add(int(through_link[1]))
        for entry in entries:
            for record in (entry.before, entry.after):
                if not isinstance(record, dict):
                    continue
                for key in ("person", "requester"):
                    value = record.get(key)
                    # A request names its people as {"id": ..., "name": ...}.
                    value = value.get("id") if isinstance(value, dict) else value
                    if isinstance(value, int):
                        people.add(value)
                if isinstance(record.get("team"), str):
                    slugs.add(record["team"])
            if entry.entity_id is None:
                continue
            if entry.entity in PERSON_KINDS and entry.entity_id.isdigit():
                people.add(int(entry.entity_id))
            elif entry.entity in ("team", "notification_settings"):
                slugs.add(entry.entity_id)
            elif entry.entity == "notification_channel":
                slugs.add(entry.entity_id.partition("/")[0])
            elif entry.entity == "account" and entry.entity_id.isdigit():
                accounts.add(int(entry.entity_id))
        people = {p for p in people if 0 < p < 2**31}
        accounts = {a for a in accounts if 0 < a < 2**31}
        return AuditNames(
            accounts_by_email=self._lookup(Account.email, Account.name, emails),
            accounts=self._lookup(Account.id, Account.name, accounts),
            people=self._lookup(Person.id, Person.name, people),
            teams=self._lookup(Team.slug, Team.name, slugs),
        )

    def existing(self, entries: list[AuditEntry]) -> set[tuple[str, str]]:
        """``(kind, id)`` of the things ``entries`` are about that still exist, in one query per kind.

        The panel links an entry to what it changed only when that is still
        there: a deleted team, rotation or override has no page to open.
        """
        wanted: dict[str, set[str]] = {}
        for entry in entries:
            if entry.entity_id:
                wanted.setdefault(entry.entity, set()).add(entry.entity_id)
        found: set[tuple[str, str]] = set()
        for kind, ids in wanted.items():
            if kind in ("team", "notification_settings"):
                query = select(Team.slug).where(Team.slug.in_(sorted(ids)))
            elif kind == "notification_channel":
                query = (select(Team.slug + "/" + ChannelConfig.channel)
                         .select_from(ChannelConfig).join(Team, Team.id == ChannelConfig.team_id)
                         .where(Team.slug.in_(sorted({i.partition("/")[0] for i in ids}))))
            elif kind == "hours_report":
                query = select(HoursClosure.month).where(HoursClosure.month.in_(sorted(ids)))
            elif kind in EXISTING_BY_ID:
                numbers = sorted(int(i) for i in ids if i.isdigit() and 0 < int(i) < 2**31)
                if not numbers:
                    continue
                model = EXISTING_BY_ID[kind]
                query = select(model.id).where(model.id.in_(numbers))
            else:
                # A plugin's kind, or a later version's: nothing known to link to.
                continue
            found.update((kind, str(value)) for value in self.dbsession.scalars(query))
        return found

    def _lookup(self, key, name, values: set) -> dict:
        if not values:
            return {}
        return dict(self.dbsession.execute(select(key, name).where(key.in_(sorted(values)))).all())


#: How an entry names an account that wrote it (``account:<email>``).
ACCOUNT_ACTOR = "account:"
#: How an entry names a person who wrote through their action link (``person-<id>-link (<name>)``).
PERSON_LINK_ACTOR = re.compile(r"person-(\d+)-link \((.*?)\)?\Z")
#: The kinds whose entity id is the id of a row of one table (see :meth:`AuditService.existing`).
EXISTING_BY_ID = {
    "rotation": Rotation,
    "override": Override,
    "person": Person,
    "notification_preferences": Person,
    "leave": Leave,
    "account": Account,
    "api_token": ApiToken,
    "delivery": Delivery,
    "request": ShiftRequest,
}
#: The kinds whose entity id is a person's id.
PERSON_KINDS = frozenset({"person", "notification_preferences"})


@dataclass(frozen=True)
class AuditNames:
    """The names behind the ids a page of entries mentions (see :meth:`AuditService.names`)."""

    accounts_by_email: dict[str, str] = field(default_factory=dict)
    accounts: dict[int, str] = field(default_factory=dict)
    people: dict[int, str] = field(default_factory=dict)
    teams: dict[str, str] = field(default_factory=dict)
