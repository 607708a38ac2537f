"""Export formats: what a ``register_export_formats`` plugin declares.

An export format turns the shifts of a feed (a team's, or one person's
across every team) into a downloadable body: an iCalendar file that
calendar clients subscribe to, a spreadsheet, JSON.  The feed service
(:mod:`plantao.services.feeds`) selects the shifts exactly as
``GET /api/v1/teams/{slug}/shifts`` does, applies the reader's contact
policy, calls :meth:`ExportFormat.render` once per roster change and serves
the bytes with ``ETag`` and ``Last-Modified``.

Everything handed to a format is a frozen, detached snapshot: a format
cannot reach the database, and what it renders depends only on its
arguments, so the same roster always gives the same bytes (and ETag).
"""

# The export-format API lives in :mod:`plantao.plugin_api`, which loads no
# service; this path keeps working for the formats written against it.
from .plugin_api import (  # noqa: F401  (re-exported)
    ExportContext,
    ExportFormat,
    ExportShift,
    ExportTeam,
    PersonView,
)

__all__ = ["ExportContext", "ExportFormat", "ExportShift", "ExportTeam", "PersonView"]
