"""Event kinds and the messages they become, in pt-BR or English.

Texts are :class:`~pyramid.i18n.TranslationString` objects of the
``plantao_notify`` domain, with English message ids; the catalogs live in
``plantao/locale/{pt_BR,en}/LC_MESSAGES/plantao_notify.po`` and the
committed ``.mo`` files are what runs (no Babel needed at run time).
Date-times are shown in the team's zone.
"""

from __future__ import annotations

import html
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pyramid.i18n import Localizer, TranslationStringFactory, Translations

from ..plugin_api import Message
from ..role_labels import role_label

DOMAIN = "plantao_notify"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

_ = TranslationStringFactory(DOMAIN)

REMINDER = "reminder"
HANDOFF = "handoff"
ROSTER_CHANGED = "roster_changed"
COVERAGE_GAP = "coverage_gap"
DIGEST = "digest"
#: A colleague asks for cover, or proposes a swap: sent to those who may take it.
COVER_REQUESTED = "cover_requested"
#: A cover or swap request moved (accepted, approved, declined, cancelled,
#: expired, obsolete): sent to the people it concerns.
REQUEST_UPDATED = "request_updated"
TEST = "test"

#: Every event kind a person or team can choose to receive.
KINDS = (REMINDER, HANDOFF, ROSTER_CHANGED, COVERAGE_GAP, DIGEST, COVER_REQUESTED, REQUEST_UPDATED)

#: Languages messages are written in (tags as in the API), with their catalog.
LANGUAGES = {"pt-BR": "pt_BR", "en": "en"}
DEFAULT_LANGUAGE = "pt-BR"

WEEKDAYS = (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))


@lru_cache(maxsize=None)
def localizer(language: str) -> Localizer:
    locale = LANGUAGES.get(language, LANGUAGES[DEFAULT_LANGUAGE])
    return Localizer(locale, Translations.load(str(LOCALE_DIR), [locale], DOMAIN))


def shift_payload(shift, person_name: str | None = None) -> dict:
    """A stored shift as event data (UTC instants, the holder's id and name)."""
    return {
        "id": shift.id,
        "role": shift.role,
        "person": shift.person_id,
        "person_name": person_name if person_name is not None else (shift.person.name if shift.person else ""),
        "start": shift.start.isoformat(),
        "end": shift.end.isoformat(),
    }


def team_payload(team) -> dict:
    return {"id": team.id, "slug": team.slug, "name": team.name, "timezone": team.timezone}


class Renderer:
    """Turns an event's payload into a :class:`Message` for one recipient."""

    def __init__(self, language: str, base_url: str):
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self.localizer = localizer(self.language)
        self.base_url = base_url.rstrip("/")

    def t(self, msgid: str, **mapping) -> str:
        return self.localizer.translate(_(msgid, mapping=mapping or None))

    def role(self, role: str, capitalized: bool = False) -> str:
        """``role`` as the recipient reads it ("primário"); the event's data keeps the stored name."""
        return role_label(role, self.language, capitalized=capitalized)

    def when(self, instant: str | datetime, tz: ZoneInfo) -> str:
        moment = datetime.fromisoformat(instant) if isinstance(instant, str) else instant
        local = moment.astimezone(tz)
        weekday = self.localizer.translate(WEEKDAYS[local.weekday()])
        if self.language == "pt-BR":
            return f"{weekday} {local:%d/%m/%Y %H:%M}"
        return f"{weekday} {local:%Y-%m-%d %H:%M}"

    def span(self, shift: dict, tz: ZoneInfo) -> str:
        return f"{self.when(shift['start'], tz)} – {self.when(shift['end'], tz)}"

    def roster_url(self, team: dict) -> str:
        return f"{self.base_url}/teams/{team['slug']}"

    def request_url(self, team: dict, request: dict, recipient: dict | None) -> str:
        """The request's page; for a person, through their action link (so they can act on it)."""
        url = f"{self.base_url}/teams/{team['slug']}/requests/{request['id']}"
        token = (recipient or {}).get("action_token")
        return f"{url}?token={token}" if token else url

    def message(self, kind: str, payload: dict, recipient: dict | None) -> Message:
        """``recipient`` is ``{"id", "name"}`` for a person, None for a team destination."""
        team = payload["team"]
        tz = ZoneInfo(team["timezone"])
        subject, lines = getattr(self, f"_{kind}")(payload, recipient, team, tz)
        lines = [*lines, self.t("See the roster: ${url}", url=self.roster_url(team))]
        zone = self.t("Times in ${zone}.", zone=team["timezone"])
        text = "\n".join([*lines, zone])
        body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
        html_body = f"<html><body><h1>{html.escape(subject)}</h1>{body}<p><small>{html.escape(zone)}</small></p></body></html>"
        return Message(kind=kind, subject=subject, text=f"{subject}\n\n{text}", html=html_body,
                       language=self.language, data={"kind": kind, **payload})

    # -- one method per event kind: (subject, lines) ------------------------------

    def _reminder(self, payload, recipient, team, tz):
        shift = payload["shift"]
        name = recipient["name"] if recipient else shift["person_name"]
        subject = self.t(
            "Reminder: ${role} shift in ${team} starts ${when}",
            role=self.role(shift["role"]), team=team["name"], when=self.when(shift["start"], tz),
        )
        line = self.t(
            "${name}, your ${role} shift in ${team} is ${span}.",
            name=name, role=self.role(shift["role"]), team=team["name"], span=self.span(shift, tz),
        )
        return subject, [line]

    def _handoff(self, payload, recipient, team, tz):
        shift = payload["shift"]
        previous = payload.get("previous")
        subject = self.t(
            "Handoff in ${team} (${role}): ${person} is on call",
            team=team["name"], role=self.role(shift["role"]), person=shift["person_name"],
        )
        if recipient and recipient["id"] == shift["person"]:
            line = self.t(
                "${name}, your ${role} shift in ${team} starts now: ${span}.",
                name=recipient["name"], role=self.role(shift["role"]), team=team["name"], span=self.span(shift, tz),
            )
        elif recipient and previous and recipient["id"] == previous["person"]:
            line = self.t(
                "${name}, your ${role} shift in ${team} has ended; ${person} takes over.",
                name=recipient["name"], role=self.role(shift["role"]), team=team["name"], person=shift["person_name"],
            )
        else:
            line = self.t(
                "${person} is on call for ${role} in ${team}: ${span}.",
                person=shift["person_name"], role=self.role(shift["role"]), team=team["name"],
                span=self.span(shift, tz),
            )
        lines = [line]
        # The outgoing person was just told who takes over; naming them as
        # their own predecessor would only confuse.
        if previous and not (recipient and recipient["id"] == previous["person"]):
            lines.append(self.t("Previous: ${person}.", person=previous["person_name"]))
        return subject, lines

    def _roster_changed(self, payload, recipient, team, tz):
        changes = payload["changes"]
        if recipient:
            subject = self.t("Your shifts in ${team} changed", team=team["name"])
            changes = [c for c in changes if recipient["id"] in (c["shift"]["person"], c.get("from_person"))]
        else:
            subject = self.t("The roster of ${team} changed", team=team["name"])
        lines = []
        for change in changes[:20]:
            shift = change["shift"]
            span = self.span(shift, tz)
            if change["change"] == "added":
                lines.append(self.t("Added: ${role} ${span}, ${person}.", role=self.role(shift["role"]), span=span,
                                    person=shift["person_name"]))
            elif change["change"] == "removed":
                lines.append(self.t("Removed: ${role} ${span}, ${person}.", role=self.role(shift["role"]), span=span,
                                    person=shift["person_name"]))
            elif change["change"] == "rescheduled":
                lines.append(self.t("Changed: ${role} ${span}, ${person}.", role=self.role(shift["role"]), span=span,
                                    person=shift["person_name"]))
            elif recipient and recipient["id"] == change.get("from_person"):
                # The one who gave the time away: which part, and to whom.
                lines.append(self.t("Reassigned: ${role} ${span} to ${person}.", role=self.role(shift["role"]),
                                    span=span, person=shift["person_name"]))
            else:
                lines.append(self.t(
                    "Reassigned: ${role} ${span}, from ${before} to ${person}.", role=self.role(shift["role"]),
                    span=span, before=change.get("from_person_name") or "?", person=shift["person_name"],
                ))
        if len(changes) > 20:
            lines.append(self.t("And ${count} more changes.", count=len(changes) - 20))
        return subject, lines

    def _coverage_gap(self, payload, recipient, team, tz):
        if payload.get("resolved"):
            subject = self.t("Coverage gap resolved in ${team}", team=team["name"])
            lines = [
                self.t("${role} from ${start} to ${end} is covered now.", role=self.role(gap["role"], True),
                       start=self.when(gap["start"], tz), end=self.when(gap["end"], tz))
                for gap in payload["gaps"]
            ]
            return subject, lines
        subject = self.t("Coverage gap ahead in ${team}", team=team["name"])
        lines = [
            self.t("Nobody covers ${role} from ${start} to ${end}.", role=self.role(gap["role"]),
                   start=self.when(gap["start"], tz), end=self.when(gap["end"], tz))
            for gap in payload["gaps"]
        ]
        return subject, lines

    def _digest(self, payload, recipient, team, tz):
        shifts = payload["shifts"]
        if recipient:
            subject = self.t("Your shifts in ${team} for the next two weeks", team=team["name"])
            shifts = [s for s in shifts if s["person"] == recipient["id"]]
            if not shifts:
                return subject, [self.t("No shifts for you in the next two weeks.")]
        else:
            subject = self.t("Roster of ${team} for the next two weeks", team=team["name"])
        lines = [f"{self.role(s['role'], True)}: {self.span(s, tz)} — {s['person_name']}" for s in shifts[:100]]
        return subject, lines

    def _cover_requested(self, payload, recipient, team, tz):
        request = payload["request"]
        requester = request["requester"]["name"]
        if request["kind"] == "swap":
            subject = self.t("${person} proposes a swap in ${team}", person=requester, team=team["name"])
            lines = [self.t(
                "${person} would take your ${role} shift ${with_span} and give you theirs, ${span}.",
                person=requester, role=self.role(request["with"]["role"]), with_span=self.span(request["with"], tz),
                span=self.span(request, tz),
            )]
        else:
            subject = self.t("${person} asks for cover in ${team}", person=requester, team=team["name"])
            lines = [self.t("Who can take ${role} ${span}? The first to accept gets it.",
                            role=self.role(request["role"]), span=self.span(request, tz))]
        if request.get("note"):
            lines.append(self.t("Note: ${note}", note=request["note"]))
        lines.append(self.t("Answer here: ${url}", url=self.request_url(team, request, recipient)))
        return subject, lines

    def _request_updated(self, payload, recipient, team, tz):
        request = payload["request"]
        step = payload["step"]
        taker = (request.get("accepted_by") or {}).get("name") or ""
        span = self.span(request, tz)
        role = self.role(request["role"])
        texts = {
            "accept": ("Request accepted in ${team}", "${taker} takes ${role} ${span}."),
            "awaiting": ("Request accepted in ${team}, waiting for approval",
                         "${taker} takes ${role} ${span} once a team admin approves."),
            "approve": ("Request approved in ${team}", "${taker} takes ${role} ${span}: the roster is changed."),
            "decline": ("Request declined in ${team}", "A team admin declined ${role} ${span}; nothing changes."),
            "cancel": ("Request cancelled in ${team}", "The request for ${role} ${span} was cancelled."),
            "expired": ("Request expired in ${team}", "Nobody took ${role} ${span} before it started."),
            "obsolete": ("Request no longer applies in ${team}",
                         "The roster changed: ${role} ${span} is no longer the requester's to hand over."),
        }
        key = "awaiting" if step == "accept" and request["status"] == "awaiting_approval" else step
        subject_id, line_id = texts.get(key, ("Request updated in ${team}", "${role} ${span}: ${status}."))
        subject = self.t(subject_id, team=team["name"])
        lines = [self.t(line_id, taker=taker, role=role, span=span, status=request["status"])]
        lines.append(self.t("Details: ${url}", url=self.request_url(team, request, recipient)))
        return subject, lines

    def _test(self, payload, recipient, team, tz):
        subject = self.t("Test message from Plantão")
        line = self.t("This is a test message of the ${channel} channel of ${team}.",
                      channel=payload["channel"], team=team["name"])
        return subject, [line]


def render(kind: str, payload: dict, language: str, base_url: str, recipient: dict | None = None) -> Message:
    return Renderer(language, base_url).message(kind, payload, recipient)


def is_urgent(kind: str, payload: dict, now: datetime, soon_hours: int = 48) -> bool:
    """Urgent messages ignore quiet hours: reminders, handoffs, gaps, near changes."""
    if kind in (REMINDER, HANDOFF, COVERAGE_GAP, TEST):
        return True
    if kind == ROSTER_CHANGED:
        starts = [datetime.fromisoformat(c["shift"]["start"]) for c in payload.get("changes", [])]
        return any((start - now).total_seconds() < soon_hours * 3600 for start in starts)
    return False
