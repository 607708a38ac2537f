"""pt-BR by default, English on request; the choice is remembered."""

from __future__ import annotations

import pytest


def title(page) -> str:
    return page.html.select_one("h1").text.strip()


def test_portuguese_is_the_default(testapp):
    page = testapp.get("/")
    assert title(page) == "Quem está de plantão"
    assert page.html.select_one("html")["lang"] == "pt-BR"


@pytest.mark.parametrize(
    "header, expected",
    [
        ("en-US,en;q=0.9", "Who is on call"),
        ("en", "Who is on call"),
        ("pt-PT,pt;q=0.8", "Quem está de plantão"),
        ("fr-FR,en;q=0.5", "Who is on call"),
        ("fr-FR,de;q=0.5", "Quem está de plantão"),
        ("en;q=0.3,pt-BR;q=0.9", "Quem está de plantão"),
        ("garbage;q=x", "Quem está de plantão"),
    ],
)
def test_accept_language_picks_the_best_match(testapp, header, expected):
    assert title(testapp.get("/", headers={"Accept-Language": header})) == expected


def test_the_switch_remembers_the_choice_and_goes_back(testapp):
    response = testapp.get("/lang/en", params={"next": "/teams/x?month=2026-01"}, status=303)
    assert response.location.endswith("/teams/x?month=2026-01")
    cookie = response.headers["Set-Cookie"]
    assert "plantao_lang=en" in cookie and "Max-Age" in cookie and "SameSite=Lax" in cookie
    # The cookie beats the browser's language.
    page = testapp.get("/", headers={"Accept-Language": "pt-BR"})
    assert title(page) == "Who is on call"
    assert page.html.select_one("html")["lang"] == "en"
    current = page.html.select_one(".lang-switch a[aria-current=true]")
    assert current.text.strip() == "EN"
    testapp.get("/lang/pt_BR", params={"next": "/"}, status=303)
    assert title(testapp.get("/", headers={"Accept-Language": "en"})) == "Quem está de plantão"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", ""])
def test_the_switch_only_goes_back_to_local_pages(testapp, target):
    response = testapp.get("/lang/en", params={"next": target}, status=303)
    assert response.location in ("http://localhost/", "/")


def test_unknown_language_is_a_404(testapp):
    testapp.get("/lang/fr", status=404)


def test_switch_links_point_back_to_the_current_page(testapp, roster):
    page = testapp.get("/teams/infra", params={"month": "2026-01"})
    link = page.html.select_one(".lang-switch a[hreflang=en]")["href"]
    assert link.startswith("/lang/en?next=") and "%2Fteams%2Finfra" in link


def test_dates_follow_the_locale(testapp, roster):
    pt = testapp.get("/teams/infra", params={"month": "2026-03"}, headers={"Accept-Language": "pt-BR"})
    en = testapp.get("/teams/infra", params={"month": "2026-03"}, headers={"Accept-Language": "en"})
    assert pt.html.select_one("#month-title").text.strip().lower() == "março de 2026"
    assert en.html.select_one("#month-title").text.strip() == "March 2026"
    # Weeks start as each locale's calendars do: Sunday in Brazil, Monday in (world) English.
    assert pt.html.select_one(".calendar thead th").text.strip().lower().startswith("dom")
    assert en.html.select_one(".calendar thead th").text.strip() == "Mon"
