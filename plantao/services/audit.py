"""Recording every write in the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ..models import AuditEntry


@dataclass(frozen=True)
class Actor:
    """Who is writing: the credential used and the client's address."""

    credential: str
    client_addr: str | None = None


SYSTEM = Actor("system")


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
