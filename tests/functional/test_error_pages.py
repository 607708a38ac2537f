"""Wrong addresses and methods: redirects, 405 with Allow, error pages in the site's layout."""

from __future__ import annotations

import pytest
from pyramid.config import Configurator


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("/admin/", "/admin"),
        ("/admin/login/", "/admin/login"),
        ("/admin/teams//", "/admin/teams"),
        ("/teams/demo/?month=2026-03", "/teams/demo?month=2026-03"),
        ("/api/v1/teams/", "/api/v1/teams"),
    ],
)
def test_a_trailing_slash_redirects_to_the_page_without_it(testapp, path, target):
    response = testapp.get(path, status=301)
    assert response.location == f"http://localhost{target}"


def test_the_headers_admin_link_leads_to_the_login_form(testapp):
    home = testapp.get("/")
    link = home.html.select_one("nav.site-nav a[href*='admin']")["href"]
    login = testapp.get(link).maybe_follow()
    assert login.request.path == "/admin/login" and 'name="password"' in login.text


def test_a_post_with_a_trailing_slash_keeps_its_method(testapp, admin_headers):
    response = testapp.post_json("/api/v1/teams/", {"slug": "x", "name": "X"}, headers=admin_headers, status=308)
    assert response.location == "http://localhost/api/v1/teams"


@pytest.mark.parametrize("path", ["/nowhere/", "//example.com/", "/admin/teams/new/extra/"])
def test_a_trailing_slash_of_no_page_is_still_a_404(testapp, path):
    testapp.get(path, status=404)


def test_a_page_route_answers_405_with_allow_in_the_layout(testapp):
    response = testapp.put("/admin/login", "x", status=405)
    assert response.headers["Allow"] == "GET, HEAD, POST"
    assert response.content_type == "text/html"
    assert response.html.select_one('meta[name="viewport"]') is not None
    assert response.html.select_one("header.site-header") is not None
    assert response.html.select_one("main a[href='/']") is not None


def test_a_get_only_page_answers_405_to_a_post(testapp):
    response = testapp.post("/", {}, status=405)
    assert response.headers["Allow"] == "GET, HEAD"


def test_an_api_route_answers_405_with_allow_in_json(testapp, admin_headers):
    response = testapp.put_json("/api/v1/teams", {}, headers=admin_headers, status=405)
    assert response.headers["Allow"] == "GET, HEAD, POST"
    assert response.json["details"] == {"allowed": ["GET", "HEAD", "POST"]}
    assert "PUT is not allowed" in response.json["error"]
    # Anonymous callers learn the same: the method is wrong whoever asks.
    assert testapp.delete("/api/v1/teams", status=405).headers["Allow"] == "GET, HEAD, POST"


def test_a_missing_thing_on_an_existing_route_stays_404(testapp):
    page = testapp.get("/teams/nope", status=404)
    assert "Allow" not in page.headers
    testapp.get("/api/v1/teams/nope", status=404)


def test_the_404_page_has_the_layout_a_viewport_and_a_way_back(testapp):
    page = testapp.get("/nowhere", status=404, headers={"Accept-Language": "pt-BR"})
    assert page.content_type == "text/html"
    assert page.html.select_one('meta[name="viewport"]') is not None
    assert page.html.select_one("header.site-header") is not None
    assert page.html.h1.get_text(strip=True) == "Página não encontrada"
    assert page.html.select_one("main a[href='/']").get_text(strip=True) == "Voltar para quem está de plantão"
    english = testapp.get("/nowhere", status=404, headers={"Accept-Language": "en"})
    assert english.html.h1.get_text(strip=True) == "Page not found"


def test_an_admin_404_also_leads_back_to_the_panel(testapp):
    page = testapp.get("/admin/nothing-here", status=404)
    assert page.html.select_one("main a[href='/admin']") is not None


def test_a_bad_request_page_has_the_layout_and_says_why(testapp):
    page = testapp.get("/teams/x%00y", status=400)
    assert page.html.select_one("header.site-header") is not None
    assert "NUL" in page.text


def test_an_unreadable_path_still_gets_a_page_with_a_viewport(testapp):
    page = testapp.get("/teams/%ff", status=400)
    assert page.content_type == "text/html"
    assert 'name="viewport"' in page.text and 'href="/"' in page.text


def test_an_unexpected_error_gets_the_layout_and_no_internals(app, testapp):
    def explode(request):
        raise RuntimeError("secret internals")

    config = Configurator(registry=app.registry)
    config.add_route("test.explode", "/explode-for-test")
    config.add_view(explode, route_name="test.explode")
    config.commit()
    page = testapp.get("/explode-for-test", status=500)
    assert page.html.select_one("header.site-header") is not None
    assert "secret internals" not in page.text
