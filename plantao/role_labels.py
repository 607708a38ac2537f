"""What a person reads for a role: ``primary`` is "primário" to a Brazilian.

A role is stored, and travels in the JSON API, webhooks and the plain CSV,
as the name it was given (``primary``, ``secondary`` or one a team typed,
such as ``dba``): machines match on it.  Wherever a person reads it (the
public pages, calendar events, notification texts) it goes through
:func:`role_label`, the one place that knows the words, so that a page, a
calendar and an email never disagree.  A role the team named itself is
shown exactly as typed, in every language.

This module imports nothing of Pyramid's: the plugin API re-exports it for
export formats and channels, which see neither the request nor the
catalogues.
"""

from __future__ import annotations

__all__ = ["ROLE_LABELS", "role_label"]

#: The built-in roles' words, per language tag: (in a sentence, on its own).
ROLE_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "primary": {"pt-BR": ("primário", "Primário"), "en": ("primary", "Primary")},
    "secondary": {"pt-BR": ("secundário", "Secundário"), "en": ("secondary", "Secondary")},
}
DEFAULT_LANGUAGE = "pt-BR"


def role_label(role: str, language: str | None = None, *, capitalized: bool = False) -> str:
    """``role`` as a person reads it in ``language``.

    ``language`` is a tag (``pt-BR``, ``en``) or a locale name (``pt_BR``),
    as the pages use; anything else reads as Brazilian Portuguese.  The
    lower-case word fits inside a sentence ("seu plantão primário"), the
    ``capitalized`` one a badge, a field's value or the start of a line.
    Roles the team named themselves come back unchanged.
    """
    words = ROLE_LABELS.get(role)
    if words is None:
        return role
    tag = (language or DEFAULT_LANGUAGE).replace("_", "-")
    if tag not in words:
        tag = "en" if tag.lower().split("-")[0] == "en" else DEFAULT_LANGUAGE
    return words[tag][1 if capitalized else 0]
