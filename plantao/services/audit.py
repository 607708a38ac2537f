"""Recording every write in the audit log, and reading it back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import AuditEntry
from .context import SYSTEM, Actor, ServiceContext  # noqa: F401  (Actor and SYSTEM: re-exported)


def record(
    dbsession: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: Any,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Add an audit entry to the current transaction (it commits with the change)."""
    entry = AuditEntry(
        actor=actor.credential,
        client_addr=actor.client_addr,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        before=before,
        after=after,
    )
    dbsession.add(entry)
    return entry


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
        self, size: int, *, before: int | None = None, entity: str | None = None, actor: str | None = None
    ) -> AuditPage:
        """Up to ``size`` entries older than entry ``before``, of ``entity`` and by ``actor`` (any
        when empty), newest first.

        The next page is the one ``before`` the last entry of this one.
        """
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(size + 1)
        if before is not None:
            query = query.where(AuditEntry.id < before)
        if entity:
            query = query.where(AuditEntry.entity == entity)
        if actor:
            query = query.where(AuditEntry.actor == actor)
        entries = list(self.dbsession.scalars(query))
        return AuditPage(entries[:size], len(entries) > size)

    def actors(self, limit: int = 200) -> list[str]:
        """Who wrote to the audit log (the credentials as entries name them), by name, at most ``limit``."""
        return list(
            self.dbsession.scalars(select(AuditEntry.actor).distinct().order_by(AuditEntry.actor).limit(limit))
        )
