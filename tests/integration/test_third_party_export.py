"""A third-party export format, installed as a real distribution, is served by the API.

The test writes a tiny distribution, ``plantao-markdown``, whose module
declares a ``md`` export format (a Markdown table) through the ``plantao``
entry-point group, as ``docs/plugins.md`` tells an author to.  It builds a
wheel, installs it into a directory of its own (never into the shared
virtual environment) and shows that the format is listed with its source
package and that a team's feed downloads in it, with the same shifts as the
``shifts`` API and the same HTTP caching as the built-in formats.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.plugin_distribution import PluginDistribution

pytestmark = pytest.mark.slow

DISTRIBUTION = "plantao-markdown"
MODULE = "plantao_markdown"
FORMAT = "md"

# Only the public names of plantao.exports and plantao.hookspecs.
PLUGIN_SOURCE = '''\
"""The roster as a Markdown table."""

from plantao.exports import ExportFormat
from plantao.hookspecs import hookimpl


class MarkdownFormat(ExportFormat):
    name = "md"
    title = {"pt-BR": "Tabela Markdown", "en": "Markdown table"}
    description = {"pt-BR": "Uma linha por plantão.", "en": "One row per shift."}
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"heading": {"type": "boolean", "default": True, "title": "Heading"}},
    }
    media_type = "text/markdown"
    extension = "md"

    def render(self, shifts, context):
        lines = []
        if context.params["heading"]:
            lines += [f"# {context.title}", ""]
        lines += ["| id | person | start | end |", "| --- | --- | --- | --- |"]
        for shift in shifts:
            start = shift.start.astimezone(shift.team.tz).isoformat()
            end = shift.end.astimezone(shift.team.tz).isoformat()
            lines.append(f"| {shift.id} | {shift.person.name} | {start} | {end} |")
        return ("\\n".join(lines) + "\\n").encode("utf-8")


@hookimpl
def register_export_formats():
    return [MarkdownFormat()]
'''


MARKDOWN = PluginDistribution(
    name=DISTRIBUTION,
    module=MODULE,
    entry_points={"markdown": MODULE},
    source=PLUGIN_SOURCE,
    description="Markdown tables of Plantão rosters",
)


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory) -> Path:
    """A directory holding the installed ``plantao-markdown`` distribution (no network needed)."""
    return MARKDOWN.install(tmp_path_factory.mktemp("markdown"))


@pytest.fixture
def plugin_testapp(plugin_site, settings, clean_engine):
    import webtest

    from plantao.app import make_app
    from plantao.plugins import build_registry

    with MARKDOWN.importable(plugin_site):
        app = make_app(settings, plugins=build_registry(), engine=clean_engine)
        yield webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.50"})


def test_the_format_is_listed_with_its_package(plugin_testapp):
    found = plugin_testapp.get("/api/v1/plugins", params={"kind": "export_format"}).json["plugins"]
    by_name = {info["name"]: info for info in found}
    assert set(by_name) == {"csv", "ics", "json", FORMAT}
    assert by_name[FORMAT]["source"] == DISTRIBUTION
    assert by_name[FORMAT]["module"] == MODULE
    assert by_name["ics"]["source"] == "plantao"


def test_a_team_feed_downloads_in_the_plugins_format(plugin_testapp, admin_headers):
    app = plugin_testapp
    people = [app.post_json("/api/v1/people", {"name": n}, headers=admin_headers).json["id"] for n in ("Ana", "Bruno")]
    app.post_json("/api/v1/teams", {"slug": "infra", "name": "Infra"}, headers=admin_headers)
    today = datetime.now(ZoneInfo("America/Sao_Paulo")).date()
    # Starting at the daily handoff (09:00), the ten days hold ten whole
    # shifts whatever the time of day the test runs at.
    start = datetime.combine(today, time(9), ZoneInfo("America/Sao_Paulo"))
    app.post_json("/api/v1/teams/infra/rotations", {"name": "D", "policy": "daily", "members": people,
                                                    "start": start.isoformat()}, headers=admin_headers)
    interval = {"start": today.isoformat(), "end": (today + timedelta(days=10)).isoformat()}

    response = app.get(f"/api/v1/teams/infra/export.{FORMAT}", params=interval)
    assert response.headers["Content-Type"] == "text/markdown; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="plantao-infra.md"'
    text = response.body.decode()
    assert text.startswith("# Infra\n")
    rows = [line.split(" | ")[0].strip("| ") for line in text.splitlines()[4:]]
    expected = app.get("/api/v1/teams/infra/shifts", params=interval).json["shifts"]
    assert rows == [str(s["id"]) for s in expected] and len(rows) == 10, [(s["start"], s["end"], s["person"]["name"]) for s in expected]

    # Its parameters come from its own schema, and bad ones are a 400.
    plain = app.get(f"/api/v1/teams/infra/export.{FORMAT}", params={**interval, "heading": "false"}).body.decode()
    assert plain.startswith("| id |")
    app.get(f"/api/v1/teams/infra/export.{FORMAT}", params={"heading": "perhaps"}, status=400)
    # And it is cached and revalidated like any format.
    app.get(f"/api/v1/teams/infra/export.{FORMAT}", params=interval,
            headers={"If-None-Match": response.headers["ETag"]}, status=304)
    assert FORMAT in app.get("/api/v1/teams/infra/export.xlsx", status=404).json["details"]["available"]
