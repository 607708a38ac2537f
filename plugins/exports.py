"""The built-in export formats: ics, csv and json.

They register through the ``register_export_formats`` hook like any
third-party format.  Each renders the same shifts the ``shifts`` API
returns for the feed's interval, role and person, and renders them the same
way every time: the same roster gives the same bytes, so the ETag a
calendar client keeps stays valid across regenerations and instances.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from functools import lru_cache

import icalendar

from plantao.plugin_api import (
    DIALECTS,
    Column,
    ExportContext,
    ExportFormat,
    ExportShift,
    dialect_language,
    dialect_param,
    hookimpl,
    isoformat,
    render_csv,
    role_label,
    spreadsheet_safe,
)

#: How often calendar clients are asked to poll (REFRESH-INTERVAL, X-PUBLISHED-TTL).
REFRESH = timedelta(hours=1)
#: The longest reminder ahead of a shift: four weeks, in minutes.
MAX_ALARM_MINUTES = 4 * 7 * 24 * 60

LANGUAGES = ("pt-BR", "en")

TEXTS = {
    "pt-BR": {
        "calendar": "Plantão",
        "shift": "plantão",
        "override": "Substituição",
        "team": "Equipe",
        "role": "Função",
        "person": "Pessoa",
        "email": "E-mail",
        "phone": "Telefone",
        "telegram": "Telegram",
        "reason": "Motivo",
        "source": "Origem",
        "sources": {"rotation": "rodízio", "override": "substituição", "fallback": "pessoa de reserva"},
        "reminder": "Seu plantão começa em breve",
        "description": "Escala de plantão exportada pelo Plantão",
        "zone_span": "Este fuso horário vale de {first:%d/%m/%Y} a {last:%d/%m/%Y}.",
        "language": "pt-BR",
    },
    "en": {
        "calendar": "On call",
        "shift": "on call",
        "override": "Override",
        "team": "Team",
        "role": "Role",
        "person": "Person",
        "email": "Email",
        "phone": "Phone",
        "telegram": "Telegram",
        "reason": "Reason",
        "source": "Source",
        "sources": {"rotation": "rotation", "override": "override", "fallback": "fallback person"},
        "reminder": "Your on-call shift starts soon",
        "description": "On-call roster exported by Plantão",
        "zone_span": "This time zone is valid from {first:%Y-%m-%d} to {last:%Y-%m-%d}.",
        "language": "en",
    },
}

LANG_SCHEMA = {
    "enum": list(LANGUAGES),
    "default": "pt-BR",
    "title": "Language",
    "description": "Language of the texts (summaries, descriptions, categories).",
}


# -- ics ------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def vtimezone(tzid: str, first_year: int, last_year: int, language: str = "pt-BR") -> bytes:
    """The VTIMEZONE of ``tzid`` covering the years given, serialized.

    Building one walks the zone's transitions, so it is done once per zone,
    span of years and language in a process.  The library writes the span
    it covers as an English COMMENT; a calendar shows it to people, so it is
    written again in the feed's language.
    """
    first, last = date(first_year, 1, 1), date(last_year + 1, 1, 1)
    component = icalendar.Timezone.from_tzid(tzid, first_date=first, last_date=last)
    component.pop("COMMENT", None)
    component.add("COMMENT", TEXTS[language]["zone_span"].format(first=first, last=last))
    return component.to_ical()


# Control characters have no place in an iCalendar value, and a line break
# in a property the library does not escape (NAME, X-WR-CALNAME) would end
# the content line.  Names are refused with them on input, but rows written
# before that (or by hand) must still export.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def _one_line(value: str) -> str:
    """``value`` with every run of control characters (line breaks included) made one space."""
    return _CONTROL.sub(" ", value or "").strip()


def _lines(value: str) -> str:
    """``value`` with its lines kept and any other control character made a space."""
    return "\n".join(_one_line(line) for line in (value or "").splitlines())


def _role(shift: ExportShift, texts: dict, capitalized: bool = False) -> str:
    """The shift's role as a person reads it in the feed's language (``x-plantao-role`` keeps the stored one)."""
    return _one_line(role_label(shift.role, texts["language"], capitalized=capitalized))


def _summary(shift: ExportShift, texts: dict) -> str:
    summary = f"{_one_line(shift.person.name)} — {texts['shift']} {_one_line(shift.team.name)} ({_role(shift, texts)})"
    if shift.is_override:
        summary = f"[{texts['override']}] {summary}"
    return summary


def _contact_lines(shift: ExportShift, texts: dict) -> list[str]:
    person = shift.person
    lines = [f"{texts['person']}: {_one_line(person.name)}"]
    if person.phone:
        lines.append(f"{texts['phone']}: {person.phone}")
    if person.email:
        lines.append(f"{texts['email']}: {person.email}")
    if person.telegram_chat_id:
        lines.append(f"{texts['telegram']}: {person.telegram_chat_id}")
    for network, handle in sorted((person.chat or {}).items()):
        lines.append(f"{_one_line(network.title())}: {_one_line(handle)}")
    return lines


def _description(shift: ExportShift, texts: dict) -> str:
    lines = [
        f"{texts['team']}: {_one_line(shift.team.name)}",
        f"{texts['role']}: {_role(shift, texts, capitalized=True)}",
        *_contact_lines(shift, texts),
        f"{texts['source']}: {texts['sources'].get(shift.source, shift.source)}",
    ]
    if shift.reason:
        lines.append(f"{texts['reason']}: {_lines(shift.reason)}")
    return "\n".join(lines)


class IcsFormat(ExportFormat):
    """RFC 5545 iCalendar: one VEVENT per shift, in the team's zone."""

    name = "ics"
    title = {"pt-BR": "iCalendar (Google Agenda, Outlook, Apple, Thunderbird)", "en": "iCalendar"}
    description = {
        "pt-BR": "Assinatura de calendário: um evento por plantão, no fuso da equipe, com os contatos "
        "de quem está de plantão; substituições aparecem como tal. alarm=N adiciona um lembrete "
        "N minutos antes de cada plantão.",
        "en": "Calendar subscription: one event per shift, in the team's zone, with the contacts of "
        "whoever is on call; overrides show as such. alarm=N adds a reminder N minutes before each "
        "shift.",
    }
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "alarm": {
                "type": ["integer", "null"],
                "minimum": 1,
                "maximum": MAX_ALARM_MINUTES,
                "default": None,
                "title": "Reminder",
                "description": "Minutes before each shift at which calendars remind (a VALARM); "
                "none by default.",
            },
            "lang": LANG_SCHEMA,
        },
    }
    media_type = "text/calendar"
    extension = "ics"

    def render(self, shifts: Sequence[ExportShift], context: ExportContext) -> bytes:
        texts = TEXTS[context.params.get("lang") or "pt-BR"]
        alarm = context.params.get("alarm")
        calendar = icalendar.Calendar()
        calendar.add("prodid", "-//Plantão//Escala de plantão//PT-BR")
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        name = f"{texts['calendar']} — {_one_line(context.title)}"
        calendar.add("name", name)
        calendar.add("x-wr-calname", name)
        calendar.add("x-wr-caldesc", texts["description"])
        calendar.add("x-wr-timezone", context.timezone)
        calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", icalendar.vDuration(REFRESH).to_ical().decode())
        for shift in shifts:
            tz = shift.team.tz
            event = icalendar.Event()
            event.add("uid", f"plantao-{shift.team.id}-{shift.key}@{context.domain}")
            event.add("dtstamp", shift.updated_at)
            event.add("last-modified", shift.updated_at)
            event.add("sequence", shift.sequence)
            event.add("dtstart", shift.start.astimezone(tz))
            event.add("dtend", shift.end.astimezone(tz))
            event.add("summary", _summary(shift, texts))
            event.add("description", _description(shift, texts))
            categories = [texts["calendar"], _one_line(shift.team.name), _role(shift, texts, capitalized=True)]
            if shift.is_override:
                categories.append(texts["override"])
            event.add("categories", categories)
            event.add("status", "CONFIRMED")
            # A week on call is not a week in meetings: free/busy stays free.
            event.add("transp", "TRANSPARENT")
            event.add("x-plantao-shift-id", str(shift.id))
            event.add("x-plantao-source", shift.source)
            event.add("x-plantao-role", shift.role)
            if alarm:
                reminder = icalendar.Alarm()
                reminder.add("action", "DISPLAY")
                reminder.add("description", f"{texts['reminder']}: {_summary(shift, texts)}")
                reminder.add("trigger", timedelta(minutes=-alarm))
                event.add_component(reminder)
            calendar.add_component(event)
        body = calendar.to_ical()
        return _with_timezones(body, shifts, context, texts["language"])


def _with_timezones(body: bytes, shifts: Sequence[ExportShift], context: ExportContext, language: str) -> bytes:
    """``body`` with the VTIMEZONE of every zone its events use, before the first VEVENT.

    The zones come from a per-process cache (building them is the slow part
    of a render); they cover the years of the feed's interval.
    """
    zones = sorted({shift.team.timezone for shift in shifts} | {context.timezone})
    zones = [z for z in zones if z.upper() != "UTC"]
    if not zones:
        return body
    first = min([context.start, *(s.start for s in shifts)]).year
    last = max([context.end, *(s.end for s in shifts)]).year
    timezones = b"".join(vtimezone(z, first, last, language) for z in zones)
    marker = b"BEGIN:VEVENT\r\n"
    at = body.find(marker)
    if at < 0:
        at = body.rindex(b"END:VCALENDAR")
    return body[:at] + timezones + body[at:]


# -- csv ---------------------------------------------------------------------------------

CSV_COLUMNS = (
    "id",
    "team",
    "role",
    "person_id",
    "person",
    "email",
    "phone",
    "start",
    "end",
    "timezone",
    "start_iso",
    "end_iso",
    "source",
    "rotation_id",
    "override_id",
    "reason",
)

#: The columns of the ``excel-br`` and ``excel`` dialects: today's, with headers
#: people read, the times in the feed's zone and the length of each shift.
CSV_DIALECT_COLUMNS = (
    Column("id", {"pt-BR": "Plantão", "en": "Shift"}, "integer"),
    Column("team", {"pt-BR": "Equipe", "en": "Team"}),
    Column("role", {"pt-BR": "Função", "en": "Role"}),
    Column("person_id", {"pt-BR": "Pessoa (id)", "en": "Person id"}, "integer"),
    Column("person", {"pt-BR": "Pessoa", "en": "Person"}),
    Column("email", {"pt-BR": "E-mail", "en": "Email"}),
    Column("phone", {"pt-BR": "Telefone", "en": "Phone"}, "phone"),
    Column("start", {"pt-BR": "Início", "en": "Start"}, "datetime"),
    Column("end", {"pt-BR": "Fim", "en": "End"}, "datetime"),
    Column("hours", {"pt-BR": "Horas", "en": "Hours"}, "hours"),
    Column("timezone", {"pt-BR": "Fuso horário", "en": "Time zone"}),
    Column("source", {"pt-BR": "Origem", "en": "Source"}),
    Column("rotation_id", {"pt-BR": "Rodízio (id)", "en": "Rotation id"}, "integer"),
    Column("override_id", {"pt-BR": "Substituição (id)", "en": "Override id"}, "integer"),
    Column("reason", {"pt-BR": "Motivo", "en": "Reason"}),
)


class CsvFormat(ExportFormat):
    """A spreadsheet: UTF-8 with a byte-order mark, one row per shift.

    Without ``dialect`` (the API's format, kept as it always was): comma
    separated, English column names, ``start`` and ``end`` local to the
    shift's team as ``YYYY-MM-DD HH:MM``, which LibreOffice and Excel read as
    date-times, and ``start_iso`` and ``end_iso`` in ISO 8601 with the
    offset, unambiguous across daylight-saving changes.  The byte-order mark
    makes Excel read UTF-8; rows end with CRLF (RFC 4180).

    ``dialect=excel-br`` or ``dialect=excel`` (see :mod:`plantao.spreadsheets`)
    writes what a spreadsheet opens in columns on a double-click: headers in
    the dialect's language, times in the feed's zone, each shift's hours.
    """

    name = "csv"
    title = {"pt-BR": "Planilha (CSV)", "en": "Spreadsheet (CSV)"}
    description = {
        "pt-BR": "CSV em UTF-8 (com BOM, para o Excel), separado por vírgulas, com cabeçalho; datas "
        "no formato ISO (AAAA-MM-DD HH:MM no fuso da equipe, e ISO 8601 com deslocamento). "
        "dialect=excel-br: separado por ponto e vírgula, vírgula decimal e cabeçalhos em português, "
        "para abrir em colunas no Excel brasileiro; dialect=excel: o mesmo em inglês.",
        "en": "UTF-8 CSV (with a BOM, for Excel), comma-separated, with a header row; dates in ISO "
        "format (YYYY-MM-DD HH:MM in the team's zone, and ISO 8601 with the offset). "
        "dialect=excel-br: semicolon-separated, decimal comma and Portuguese headers, so Brazilian "
        "Excel opens it in columns; dialect=excel: the same in English.",
    }
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "dialect": {
                "type": ["string", "null"],
                "enum": [*DIALECTS, None],
                "default": None,
                "title": "Dialect",
                "description": "excel-br: ';', decimal comma, headers in Portuguese (Excel in "
                "Brazilian Portuguese); excel: ',', decimal point, headers in English. None: the "
                "API's own columns, comma-separated.",
            },
        },
    }
    media_type = "text/csv"
    extension = "csv"

    def params(self, raw: Mapping[str, str]) -> dict:
        # The schema's enum would answer "'x' is not one of [..., None]": say it plainly.
        try:
            dialect_param(raw.get("dialect"), None)
        except ValueError as error:
            raise ValueError(f"dialect: {error}") from None
        return super().params(raw)

    def render(self, shifts: Sequence[ExportShift], context: ExportContext) -> bytes:
        dialect = context.params.get("dialect")
        if dialect:
            return self._render_dialect(shifts, context, dialect)
        out = io.StringIO()
        writer = csv.writer(out, delimiter=",", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(CSV_COLUMNS)
        for shift in shifts:
            tz = shift.team.tz
            person = shift.person
            writer.writerow(
                spreadsheet_safe(value)
                for value in (
                    shift.id,
                    shift.team.slug,
                    shift.role,
                    person.id,
                    person.name,
                    person.email or "",
                    person.phone or "",
                    shift.start.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                    shift.end.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                    shift.team.timezone,
                    isoformat(shift.start, tz),
                    isoformat(shift.end, tz),
                    shift.source,
                    shift.rotation_id if shift.rotation_id is not None else "",
                    shift.override_id if shift.override_id is not None else "",
                    shift.reason,
                )
            )
        return out.getvalue().encode("utf-8-sig")

    def _render_dialect(self, shifts: Sequence[ExportShift], context: ExportContext, dialect: str) -> bytes:
        sources = TEXTS[dialect_language(dialect)]["sources"]
        rows = (
            {
                "id": shift.id,
                "team": shift.team.slug,
                "role": shift.role,
                "person_id": shift.person.id,
                "person": shift.person.name,
                "email": shift.person.email,
                "phone": shift.person.phone,
                "start": shift.start,
                "end": shift.end,
                "hours": shift.end - shift.start,
                "timezone": context.timezone,
                "source": sources.get(shift.source, shift.source),
                "rotation_id": shift.rotation_id,
                "override_id": shift.override_id,
                "reason": shift.reason,
            }
            for shift in shifts
        )
        return render_csv(CSV_DIALECT_COLUMNS, rows, dialect, timezone=context.tz)


# -- json ----------------------------------------------------------------------------------


class JsonFormat(ExportFormat):
    """The shifts as the ``shifts`` API shows them, all in one document.

    Each shift also carries its override's ``reason``, as the CSV does
    (``null`` when it is no override or the override gave none).
    """

    name = "json"
    title = {"pt-BR": "JSON", "en": "JSON"}
    description = {
        "pt-BR": "Os plantões como a API os mostra (cada um com a equipe e o motivo da substituição), num só "
        "documento, sem paginação.",
        "en": "The shifts as the API shows them (each with its team and its override's reason), in one document, "
        "unpaginated.",
    }
    params_schema = {"type": "object", "additionalProperties": False, "properties": {}}
    media_type = "application/json"
    extension = "json"

    def render(self, shifts: Sequence[ExportShift], context: ExportContext) -> bytes:
        tz = context.tz
        document = {
            "title": context.title,
            "timezone": context.timezone,
            "team": context.team.slug if context.team else None,
            "person": context.person.id if context.person else None,
            "role": context.role,
            "start": isoformat(context.start, tz),
            "end": isoformat(context.end, tz),
            "shifts": [{**shift.as_json(), "reason": shift.reason or None} for shift in shifts],
        }
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@hookimpl
def register_export_formats() -> list[ExportFormat]:
    """The built-in export formats."""
    return [IcsFormat(), CsvFormat(), JsonFormat()]
