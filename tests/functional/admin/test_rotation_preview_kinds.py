"""The rotation preview tells what kind of change each shift has; the form says every error at once.

Moved times are one sentence ("24 plantões mudam de 09:00 para 10:00"),
reassigned shifts say from whom to whom, and each person's gains and losses
are summed up by name.  Dates carry the year only when the changes reach
into two years.  A bad form comes back with the errors of its main fields,
its policy's parameters and its restrictions together; its dates may be
typed as DD/MM/AAAA (HH:MM) as well as ISO.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from pyramid.i18n import make_localizer

from plantao.engine.changes import group_changes
from plantao.views.admin import Translator
from plantao.views.admin.rotations import ChangeWords

NEW = "/admin/teams/infra/rotations/new"
ENGLISH = {"Accept-Language": "en"}


def rotation_form(page):
    return next(form for form in page.forms.values() if "policy" in form.fields)


def summary(page) -> list[str]:
    return [li.text for li in page.html.select("ul.preview-summary li")]


def groups(page, kind) -> list:
    return page.html.select(f"details.change-group[data-kind={kind}]")


def field_div(page, name):
    return page.html.find(attrs={"name": name}).find_parent("div", class_="field")


def test_a_new_handoff_time_moves_the_shifts_and_new_members_take_them_over(admin, api, scene, monday):
    ana, bruno, carla = scene["people"]
    url = f"/admin/teams/infra/rotations/{scene['rotation']['id']}"
    # From the first Monday's 10:00 on (typed the Brazilian way), the handoff is at 10:00.
    from_ten = monday.strftime("%d/%m/%Y") + " 10:00"
    form = rotation_form(admin.get(url))
    form["p.weekly.handoff_time"] = "10:00"
    form["effective_from"] = from_ten
    preview = form.submit(status=200)
    assert json.loads(preview.forms[1]["_body"].value)["body"]["effective_from"] == f"{monday.isoformat()}T10:00"

    # One sentence for the whole horizon, not a removal and an addition per week.
    moved = [line for line in summary(preview) if re.fullmatch(r"\d+ plantões mudam de 09:00 para 10:00", line)]
    assert len(moved) == 1 and int(moved[0].split()[0]) >= 20, summary(preview)
    group = next(g for g in groups(preview, "moved") if "mudam de 09:00 para 10:00" in g.summary.text)
    # The first week only ends later (its start stays); the moves begin with the second.
    assert group.summary.text.startswith(moved[0] + " · seg., " + (monday + timedelta(weeks=1)).strftime("%d/%m"))
    assert "Continuam com: Ana, Bruno, Carla" in group.text
    assert len(group.select("tbody tr")) == int(moved[0].split()[0])
    assert not groups(preview, "reassigned") and not groups(preview, "removed")
    assert "Plantões que mudam de horário" in preview.text
    english = rotation_form(admin.get(url, headers=ENGLISH))
    english["p.weekly.handoff_time"] = "10:00"
    english["effective_from"] = from_ten
    assert re.search(r"\d+ shifts move from 9:00\sAM to 10:00\sAM", english.submit(status=200, headers=ENGLISH).text)

    # Bruno leaves: his shifts pass to Ana and Carla, by name.
    form = rotation_form(admin.get(url))
    for checkbox in form.fields["members"]:
        checkbox.checked = int(checkbox._value) in {ana["id"], carla["id"]}
    form["effective_from"] = monday.strftime("%d/%m/%Y") + " 09:00"
    preview = form.submit(status=200)
    assert json.loads(preview.forms[1]["_body"].value)["body"]["effective_from"] == f"{monday.isoformat()}T09:00"
    lines = summary(preview)
    assert [line.split(":")[0] for line in lines] == ["Ana", "Bruno", "Carla"]
    bruno_line = next(line for line in lines if line.startswith("Bruno:"))
    assert re.fullmatch(r"Bruno: \d+ plantões a menos \(passa \d+ para Ana, passa \d+ para Carla\)", bruno_line)
    said = [g.summary.text for g in groups(preview, "reassigned")]
    assert any(re.match(r"\d+ plantões? passam? de Bruno para Carla · ", text) for text in said), said
    assert not groups(preview, "moved")
    preview.forms[1].submit("_confirm", status=303)
    stored = api.get(url.replace("/admin/", "/api/v1/"))
    assert stored["versions"][-1]["members"] == [ana["id"], carla["id"]]


def test_every_error_of_the_form_comes_back_at_once(admin, api, scene):
    form = rotation_form(admin.get(NEW))
    form["name"] = ""
    form["role_new"] = "Plantão Noturno"                    # a main field
    form["p.weekly.handoff_weekday"].force_value("9")       # a policy parameter
    form["restrictions.start_time"] = "19:00"               # a restriction without its end
    form["start"] = "31/02/2026"                            # no such day
    page = form.submit(status=422)

    assert "obrigatório" in field_div(page, "name").text
    assert "formato esperado" in field_div(page, "role").text
    assert "no máximo 6" in field_div(page, "p.weekly.handoff_weekday").text
    assert "Preencha o horário de início e o de fim" in page.text
    assert "“31/02/2026” não é uma data válida: escreva DD/MM/AAAA" in field_div(page, "start").text
    assert [r["name"] for r in api.get("/api/v1/teams/infra/rotations")["rotations"]] == ["Semanal"]


def test_a_start_typed_as_dd_mm_yyyy_is_read_in_the_team_s_zone(admin, api, scene):
    ana, bruno, _ = scene["people"]
    form = rotation_form(admin.get(NEW))
    form["name"] = "Natal"
    form["start"] = "25/12/2026"
    for checkbox in form.fields["members"]:
        checkbox.checked = int(checkbox._value) in {ana["id"], bruno["id"]}
    preview = form.submit(status=200)
    saved = json.loads(preview.forms[1]["_body"].value)
    assert saved["body"]["start"] == saved["values"]["start"] == "2026-12-25T00:00"
    back = preview.forms[1].submit("_edit", status=200)
    assert rotation_form(back)["start"].value == "2026-12-25T00:00"  # the date input shows it again
    preview.forms[1].submit("_confirm", status=303)
    created = api.get("/api/v1/teams/infra/rotations")["rotations"][-1]
    assert (created["name"], created["start"]) == ("Natal", "2026-12-25T00:00:00-03:00")


def words(locale: str, before, after) -> ChangeWords:
    """The preview's sentences for a São Paulo team, without an app: the catalogues are the real ones."""
    localizer = make_localizer(locale, [str(Path(__file__).parents[3] / "plantao" / "locale")])
    request = SimpleNamespace(locale_name=locale, localizer=localizer)
    view = SimpleNamespace(request=request, _=Translator(request), team=SimpleNamespace(timezone="America/Sao_Paulo"))
    names = {1: "Ana", 2: "Bruno"}
    return ChangeWords(view, names, group_changes(before, after, ZoneInfo("America/Sao_Paulo")))


def test_dates_carry_the_year_only_when_the_changes_span_two_years():
    def week(key, person, first, role="primary"):
        start = datetime(*first, 9, tzinfo=ZoneInfo("America/Sao_Paulo"))
        return SimpleNamespace(key=key, role=role, person_id=person, start=start, end=start + timedelta(weeks=1))

    december = [week("a", 1, (2026, 12, 7)), week("b", 1, (2026, 12, 14))]
    said = words("pt_BR", december, [week("a", 2, (2026, 12, 7)), week("b", 2, (2026, 12, 14))])
    [kind] = said.kinds()
    assert kind["groups"][0]["sentence"] == "2 plantões passam de Ana para Bruno"
    assert kind["groups"][0]["dates"] == "seg., 07/12 – seg., 14/12"
    assert said.summary() == ["Ana: 2 plantões a menos (passa 2 para Bruno)", "Bruno: 2 plantões a mais (recebe 2 de Ana)"]

    a_day_later = [week("a", 1, (2026, 12, 8)), week("b", 1, (2026, 12, 15))]
    [kind] = words("pt_BR", december, a_day_later).kinds()
    assert kind["groups"][0]["sentence"] == "2 plantões mudam de seg. 09:00 para ter. 09:00"

    # Ana's last week of the year goes to Bruno; her first of the next is dropped, and Bruno gets a secondary one.
    over_new_year = [week("a", 1, (2026, 12, 28)), week("b", 1, (2027, 1, 4))]
    said = words("en", over_new_year, [week("a", 2, (2026, 12, 28)), week("c", 2, (2027, 1, 11), role="secondary")])
    assert [(g["sentence"], g["dates"]) for kind in said.kinds() for g in kind["groups"]] == [
        ("1 shift passes from Ana (Primary) to Bruno (Primary)", "Mon, 12/28/2026"),
        ("1 new shift for Bruno (Secondary)", "Mon, 1/11/2027"),
        ("1 shift of Ana (Primary) removed", "Mon, 1/4/2027"),
    ]
    assert said.summary() == [
        "Ana (Primary): 2 fewer shifts (gives 1 to Bruno, 1 removed)",
        "Bruno (Primary): 1 more shift (receives 1 from Ana)",
        "Bruno (Secondary): 1 more shift (1 new)",
    ]
