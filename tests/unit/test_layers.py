"""The layer rules, checked by importing each module in a fresh interpreter.

A module's imports are what it drags in for everybody who imports it (alembic
imports ``plantao.db``, plugin authors the plugin API): each case names a
module and the packages it must not load.  Add a rule as one more case.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest


def loaded_modules(module: str) -> set[str]:
    """Every module loaded by ``import module`` in a fresh interpreter."""
    script = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.splitlines()[-1]))


def loaded_from(modules: set[str], package: str) -> list[str]:
    return sorted(name for name in modules if name == package or name.startswith(package + "."))


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        # The services serve the views and the CLI and know neither.
        ("plantao.services.teams", ("plantao.views", "plantao.routes", "plantao.cli")),
        ("plantao.services.feeds", ("plantao.views", "plantao.routes", "plantao.cli")),
        ("plantao.services.notification_settings", ("plantao.views", "plantao.routes", "plantao.cli")),
        # Alembic's env.py imports the database layer: it knows nothing above the models.
        ("plantao.db", ("plantao.services", "plantao.notifications", "plantao.engine", "plantao.routes")),
        # The services flag the roster revision, so it stays beneath them (the
        # caches built on it, plantao.caches, sit above).
        ("plantao.models.revision", ("plantao.services", "plantao.notifications", "plantao.engine", "plantao.routes")),
        # The roster in memory is what the reading services answer from: beneath them and the web.
        ("plantao.read_model", ("pyramid", "plantao.services", "plantao.views", "plantao.routes", "plantao.notifications")),
        # Plugin authors import the plugin API, and the built-ins are plugins like
        # theirs: none of it reaches the database, the web or the service layer.
        ("plantao.plugin_api", ("sqlalchemy", "pyramid", "plantao.services", "plantao.models", "plantao.views")),
        ("plantao.engine", ("sqlalchemy", "pyramid", "plantao.services", "plantao.models", "plantao.views")),
        # Payroll's split of hours is pure too: the fairness report and the hours report share it.
        ("plantao.engine.hours", ("sqlalchemy", "pyramid", "plantao.services", "plantao.models", "plantao.views")),
        ("plantao.testing", ("sqlalchemy", "pyramid", "plantao.services", "plantao.models")),
        ("plantao.exports", ("sqlalchemy", "pyramid", "plantao.services", "plantao.models")),
        ("plantao.spreadsheets", ("sqlalchemy", "pyramid", "plantao.services", "plantao.models", "plantao.views")),
        ("plantao_plugins.exports", ("sqlalchemy", "pyramid", "plantao.services", "plantao.models")),
        ("plantao_plugins.policies", ("sqlalchemy", "pyramid", "plantao.services", "plantao.models")),
        ("plantao_plugins.rules", ("sqlalchemy", "pyramid", "plantao.services", "plantao.models")),
        ("plantao_plugins.channels", ("sqlalchemy", "pyramid", "plantao.services", "plantao.models")),
    ],
)
def test_a_module_loads_nothing_above_its_layer(module, forbidden):
    modules = loaded_modules(module)
    assert module in modules
    for package in forbidden:
        assert loaded_from(modules, package) == [], f"import {module} loads {package}"


def test_no_view_module_imports_sqlalchemy():
    """Views parse, call a service and render: queries live in the services.

    Every module under ``plantao.views`` is imported in a fresh interpreter
    and none may hold anything of SQLAlchemy's (a module, a class, a function)
    in its namespace: that is what ``import sqlalchemy`` or
    ``from sqlalchemy... import ...`` would leave there.
    """
    script = """
import importlib, inspect, json, pkgutil, sys
import plantao.views as views
found = {}
for info in pkgutil.walk_packages(views.__path__, "plantao.views."):
    module = importlib.import_module(info.name)
    names = []
    for name, value in vars(module).items():
        owner = value.__name__ if inspect.ismodule(value) else getattr(value, "__module__", None)
        if isinstance(owner, str) and (owner == "sqlalchemy" or owner.startswith("sqlalchemy.")):
            names.append(name)
    found[info.name] = sorted(names)
print(json.dumps(found))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.splitlines()[-1])
    assert "plantao.views.api.teams" in found and "plantao.views.admin.rotations" in found
    assert {module: names for module, names in found.items() if names} == {}


VIEWS = Path(__file__).resolve().parents[2] / "plantao" / "views"
#: The service door: the one view module that builds services from the request's session.
DOOR = VIEWS / "services.py"


def view_sources() -> list[Path]:
    return sorted(path for path in VIEWS.rglob("*.py"))


def test_no_view_module_imports_sqlalchemy_anywhere_in_its_code():
    """Not at the top, and not inside a function either."""
    found = []
    for path in view_sources():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = (
                [alias.name for alias in node.names] if isinstance(node, ast.Import)
                else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            )
            found += [f"{path.relative_to(VIEWS.parent)}:{node.lineno}" for name in names
                      if name == "sqlalchemy" or name.startswith("sqlalchemy.")]
    assert len(view_sources()) > 20
    assert found == []


def test_only_the_service_door_touches_the_session():
    """Views reach the database through services found with ``request.find_service``."""
    found = []
    for path in view_sources():
        if path == DOOR:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Attribute) and node.attr in ("dbsession", "read_model", "roster_cache", "feed_cache", "login_throttle"):
                found.append(f"{path.relative_to(VIEWS.parent)}:{node.lineno} .{node.attr}")
            if isinstance(node, ast.Constant) and node.value in ("dbsession_factory", "dbengine"):
                found.append(f"{path.relative_to(VIEWS.parent)}:{node.lineno} {node.value!r}")
    assert found == []
    assert "request.dbsession" in DOOR.read_text()  # the check looks at the right thing
