"""The audit log read as sentences: "Maria Souza criou o rodízio Semanal na equipe Infra".

Every kind of entry the services record has a sentence per action, naming
the actor, the people and the teams by name (the names come from
:meth:`plantao.services.audit.AuditService.names`, looked up once per page).
A kind or an action without one (a plugin's, or a later version's) still
reads as a generic sentence.  The msgids are English, in the
``plantao_admin`` domain; the caller passes the translator, so this module
knows nothing of requests.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ..models import AuditEntry
from .audit import ACCOUNT_ACTOR, PERSON_LINK_ACTOR, AuditNames

#: The sentence of each (kind, action), with ``${actor}`` and the kind's own names.
SENTENCES: dict[tuple[str, str], str] = {
    ("team", "create"): "${actor} created team ${team}",
    ("team", "update"): "${actor} changed team ${team}",
    ("team", "delete"): "${actor} deleted team ${team}",
    ("team", "rotate_feed_token"): "${actor} renewed the calendar link of team ${team}",
    ("rotation", "create"): "${actor} created rotation ${rotation} in team ${team}",
    ("rotation", "update"): "${actor} changed rotation ${rotation} in team ${team}",
    ("rotation", "delete"): "${actor} deleted rotation ${rotation} from team ${team}",
    ("override", "create"): "${actor} created an override in team ${team}: ${person}, ${period}",
    ("override", "delete"): "${actor} removed an override in team ${team}: ${person}, ${period}",
    ("swap", "create"): "${actor} recorded a swap in team ${team}: ${person} takes ${period}",
    ("swap", "delete"): "${actor} undid a swap in team ${team}: ${person}, ${period}",
    ("person", "create"): "${actor} added ${person}",
    ("person", "update"): "${actor} changed the details of ${person}",
    ("person", "deactivate"): "${actor} deactivated ${person}",
    ("person", "rotate_feed_token"): "${actor} renewed the calendar link of ${person}",
    ("person", "rotate_action_token"): "${actor} renewed the personal link of ${person}",
    ("leave", "create"): "${actor} recorded leave for ${person}: ${period}",
    ("leave", "delete"): "${actor} removed leave of ${person}: ${period}",
    ("notification_channel", "create"): "${actor} set up ${channel} notifications for team ${team}",
    ("notification_channel", "update"): "${actor} changed the ${channel} notifications of team ${team}",
    ("notification_channel", "delete"): "${actor} removed the ${channel} notifications of team ${team}",
    ("notification_settings", "update"): "${actor} changed the notification settings of team ${team}",
    ("notification_preferences", "update"): "${actor} changed the notification preferences of ${person}",
    ("delivery", "retry"): "${actor} sent delivery ${id} again",
    ("account", "create"): "${actor} created the account of ${account}",
    ("account", "update"): "${actor} changed the account of ${account}",
    ("account", "disable"): "${actor} disabled the account of ${account}",
    ("account", "enable"): "${actor} enabled the account of ${account} again",
    ("account", "set_password"): "${actor} set a new password for the account of ${account}",
    ("api_token", "create"): "${actor} created token ${token}",
    ("api_token", "revoke"): "${actor} revoked token ${token}",
    ("request", "create"): "${actor} opened ${request} in team ${team}: ${person}, ${period}",
    ("request", "accept"): "${actor} accepted ${request} in team ${team}: ${person}, ${period}",
    ("request", "approve"): "${actor} approved ${request} in team ${team}: ${person}, ${period}",
    ("request", "decline"): "${actor} declined ${request} in team ${team}: ${person}, ${period}",
    ("request", "cancel"): "${actor} cancelled ${request} in team ${team}: ${person}, ${period}",
    ("request", "expired"): "${request} in team ${team} expired: ${person}, ${period}",
    ("request", "obsolete"): "${request} in team ${team} no longer applies: ${person}, ${period}",
    ("hours_report", "close"): "${actor} closed the on-call hours of ${id} for payroll",
}
#: What ``${request}`` reads as, by the request's kind.
REQUEST_KINDS = {"cover": "a cover request", "swap": "a swap request"}

#: What an entry of a kind or action without its own sentence reads as.
GENERIC = {
    "create": "${actor} created ${kind} ${thing}",
    "update": "${actor} changed ${kind} ${thing}",
    "delete": "${actor} deleted ${kind} ${thing}",
}
GENERIC_OTHER = "${actor}: ${action} on ${kind} ${thing}"
#: ``${thing}`` when an entry of an unknown kind names nothing but its id.
NUMBERED = "#${id}"

#: The built-in credentials, as sentences name them.
BUILT_IN_ACTORS = {
    "admin-session": "administrator (password)",
    "admin-token": "administrator (password, API)",
    "viewer-session": "viewer (password)",
    "viewer-token": "viewer (password, API)",
    "system": "the system",
}
TOKEN_ACTOR = "token ${name}"
#: What a period reads as: two moments the caller formats.
PERIOD = "${start} to ${end}"

#: Every msgid here, for the catalogue's completeness check.
MSGIDS = frozenset(
    {*SENTENCES.values(), *REQUEST_KINDS.values(), *GENERIC.values(), GENERIC_OTHER, NUMBERED, *BUILT_IN_ACTORS.values(), TOKEN_ACTOR, PERIOD}
)


def actor_name(credential: str, names: AuditNames, translate: Callable[..., str]) -> str:
    """Who ``credential`` is, by name: an account's name, ``token <name>``, a person's name, a built-in."""
    kind, _colon, rest = credential.partition(":")
    if credential.startswith(ACCOUNT_ACTOR):
        return names.accounts_by_email.get(rest, rest)
    if kind == "token" and rest:
        return translate(TOKEN_ACTOR, name=rest)
    if kind == "person" and rest:
        return rest
    through_link = PERSON_LINK_ACTOR.match(credential)
    if through_link:
        return names.people.get(int(through_link[1]), through_link[2])
    if credential in BUILT_IN_ACTORS:
        return translate(BUILT_IN_ACTORS[credential])
    return credential


class AuditSentences:
    """Entries as sentences in the reader's language.

    ``translate(msgid, **mapping)`` translates in the ``plantao_admin``
    domain; ``when(moment)`` writes a date-time the way the reader does.
    """

    def __init__(self, names: AuditNames, translate: Callable[..., str], when: Callable[[datetime], str]):
        self.names = names
        self.translate = translate
        self.when = when

    def actor(self, credential: str) -> str:
        """The writer of an entry, by name."""
        return actor_name(credential, self.names, self.translate)

    def __call__(self, entry: AuditEntry) -> str:
        """What ``entry`` did, as one sentence starting with its actor."""
        record = entry.after if isinstance(entry.after, dict) else entry.before if isinstance(entry.before, dict) else {}
        kind = entry.entity
        if kind == "override" and record.get("swap_id"):
            kind = "swap"
        msgid = SENTENCES.get((kind, entry.action))
        if msgid is None:
            text = self._generic(entry, record)
        else:
            text = self.translate(msgid, actor=self.actor(entry.actor), **self._mapping(entry, record))
        return text[:1].upper() + text[1:]

    def _mapping(self, entry: AuditEntry, record: dict) -> dict[str, str]:
        entity_id = entry.entity_id or ""
        slug = record.get("team") if isinstance(record.get("team"), str) else None
        if entry.entity in ("team", "notification_settings"):
            slug = entity_id
        channel = None
        if entry.entity == "notification_channel":
            slug, _slash, channel = entity_id.partition("/")
        person = record.get("person")
        if entry.entity == "request" and isinstance(record.get("requester"), dict):
            person = record["requester"].get("id")
            record = {**record, "name": record["requester"].get("name")}
        if entry.entity in ("person", "notification_preferences") and entity_id.isdigit():
            person = int(entity_id)
        team_name = record.get("name") if entry.entity == "team" else None
        return {
            "team": self.names.teams.get(slug, team_name or slug or "?"),
            "rotation": str(record.get("name") or f"#{entity_id}"),
            "person": self._person(person, record if entry.entity in ("person", "request") else {}),
            "period": self._period(record),
            "channel": str(record.get("channel") or channel or ""),
            "account": self._account(entity_id, record),
            "token": str(record.get("name") or f"#{entity_id}"),
            "id": entity_id,
            "request": self.translate(REQUEST_KINDS.get(record.get("kind"), "a cover request"))
            if entry.entity == "request" else "",
        }

    def _person(self, person_id, record: dict) -> str:
        if isinstance(person_id, int) and person_id in self.names.people:
            return self.names.people[person_id]
        return str(record.get("name") or (f"#{person_id}" if person_id is not None else "?"))

    def _account(self, entity_id: str, record: dict) -> str:
        if record.get("name"):
            return str(record["name"])
        if entity_id.isdigit() and int(entity_id) in self.names.accounts:
            return self.names.accounts[int(entity_id)]
        return f"#{entity_id}"

    def _period(self, record: dict) -> str:
        start, end = self._moment(record.get("start")), self._moment(record.get("end"))
        if start is None or end is None:
            return ""
        return self.translate(PERIOD, start=start, end=end)

    def _moment(self, value) -> str | None:
        if not isinstance(value, str):
            return None
        try:
            return self.when(datetime.fromisoformat(value))
        except ValueError:
            return value

    def _generic(self, entry: AuditEntry, record: dict) -> str:
        name = record.get("name")
        thing = str(name) if isinstance(name, str) and name else (
            self.translate(NUMBERED, id=entry.entity_id) if entry.entity_id else "")
        mapping = {"actor": self.actor(entry.actor), "kind": entry.entity.replace("_", " "), "thing": thing,
                   "action": entry.action.replace("_", " ")}
        return self.translate(GENERIC.get(entry.action, GENERIC_OTHER), **mapping).rstrip()
