"""Input no view can read is refused with a 400, never a 500."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "url",
    [
        "/teams/%FF",
        "/healthz?x=%FF",
        "/api/v1/teams/demo/export.ics?%FF=1",
        "/teams/%00",
        "/api/v1/teams/a%00b",
        "/api/v1/teams/demo/shifts?role=a%00b",
    ],
)
def test_paths_and_queries_that_are_not_utf8_or_hold_nul_are_a_400(testapp, url):
    response = testapp.get(url, status=400)
    if url.startswith("/api/"):
        assert response.json["error"]


def test_a_form_field_holding_nul_is_a_400_and_nothing_is_saved(testapp, admin_headers):
    testapp.post("/admin/login", {"password": "x\x00"}, status=400)
    assert testapp.get("/api/v1/people", headers=admin_headers).json["people"] == []


def test_deeply_nested_json_is_a_400(testapp, admin_headers):
    response = testapp.post(
        "/api/v1/people", '{"a":' * 1500, headers={**admin_headers, "Content-Type": "application/json"}, status=400
    )
    assert "Malformed JSON" in response.json["error"]


def test_an_impossible_if_modified_since_is_ignored(testapp, admin_headers):
    testapp.post_json("/api/v1/teams", {"slug": "demo", "name": "Demo"}, headers=admin_headers)
    testapp.get(
        "/api/v1/teams/demo/export.ics", headers={"If-Modified-Since": "Mon, 01 Jan 99999 00:00:00 GMT"}, status=200
    )
