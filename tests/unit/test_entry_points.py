"""The entry points integrators rely on: names are a contract, targets are code."""

from __future__ import annotations

from importlib.metadata import entry_points

import plantao.app
import plantao.cli


def entry_point(group: str, name: str):
    (found,) = [point for point in entry_points(group=group) if point.name == name]
    return found


def test_paste_deploy_main_is_the_app_factory_itself():
    assert entry_point("paste.app_factory", "main").load() is plantao.app.main


def test_the_plantao_command_is_the_cli():
    assert entry_point("console_scripts", "plantao").load() is plantao.cli.main


def test_the_built_in_plugins_register_through_the_public_group():
    names = {point.name: point.value for point in entry_points(group="plantao") if point.value.startswith("plantao_plugins")}
    assert names == {
        "policies": "plantao_plugins.policies",
        "rules": "plantao_plugins.rules",
        "exports": "plantao_plugins.exports",
        "channels": "plantao_plugins.channels",
        "fair": "plantao_plugins.fair",
    }
