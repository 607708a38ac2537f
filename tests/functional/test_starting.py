"""While the instance waits for its database, everything but the probes answers 503 with the reason."""

from __future__ import annotations


def test_a_starting_instance_answers_503_with_the_reason_and_retry_after(app, testapp):
    readiness = app.registry.readiness
    readiness.starting("PostgreSQL at db:5432 is not answering.")
    try:
        api = testapp.get("/api/v1/teams", status=503)
        assert api.json == {
            "error": "Plantão is starting and cannot answer yet: PostgreSQL at db:5432 is not answering.",
            "details": None,
        }
        assert api.headers["Retry-After"] == "5"
        page = testapp.get("/", headers={"Accept": "text/html"}, status=503)
        assert "PostgreSQL at db:5432 is not answering." in page.text
        assert page.headers["Retry-After"] == "5"
        assert testapp.post_json("/api/v1/teams", {"slug": "x", "name": "X"}, status=503).headers["Retry-After"] == "5"

        assert testapp.get("/healthz").json == {"status": "ok"}
        assert testapp.get("/readyz", status=503).json == {
            "status": "starting",
            "error": "PostgreSQL at db:5432 is not answering.",
        }
    finally:
        readiness.open()
    assert testapp.get("/api/v1/teams").json == {"teams": [], "next": None}
    assert testapp.get("/readyz").json["status"] == "ok"


def test_an_instance_serves_from_the_start_when_its_database_answered(app, testapp):
    assert app.registry.readiness.serving
    assert testapp.get("/api/v1/teams").status_int == 200
