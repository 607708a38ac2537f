"""Throwaway plugin distributions, installed the way a plugin author's users install them.

A test that needs a third-party plugin describes it with
:class:`PluginDistribution` (one module, its entry points in the ``plantao``
group) and either builds and installs a real wheel of it with
:meth:`~PluginDistribution.install`, or writes only the ``.dist-info`` an
installer would leave with :meth:`~PluginDistribution.write_dist_info`.
Either way it lands in a directory of its own, never in the virtual
environment every other test shares: the test puts that directory on
``PYTHONPATH`` for a subprocess, or on ``sys.path`` for the block of
:meth:`~PluginDistribution.importable`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live_server import run_checked

PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]


@dataclasses.dataclass(frozen=True)
class PluginDistribution:
    """A one-module distribution declaring ``entry_points`` in the ``plantao`` group."""

    name: str
    module: str
    #: entry-point name -> the object it names (``"module"`` or ``"module:attribute"``)
    entry_points: dict[str, str]
    source: str = ""
    description: str = "A plugin for Plantão"
    version: str = "1.0.0"

    def pyproject(self) -> str:
        """The ``pyproject.toml`` its author would write."""
        entry_points = "".join(f'{name} = "{target}"\n' for name, target in self.entry_points.items())
        return (
            "[build-system]\n"
            'requires = ["setuptools>=68"]\n'
            'build-backend = "setuptools.build_meta"\n'
            "\n"
            "[project]\n"
            f'name = "{self.name}"\n'
            f'version = "{self.version}"\n'
            f'description = "{self.description}"\n'
            'requires-python = ">=3.11"\n'
            'dependencies = ["plantao"]\n'
            "\n"
            "[project.entry-points.plantao]\n"
            f"{entry_points}"
            "\n"
            "[tool.setuptools]\n"
            f'py-modules = ["{self.module}"]\n'
        )

    def install(self, root: Path) -> Path:
        """Build a wheel under ``root`` and install it into ``root/site``; answers that directory.

        ``--no-build-isolation`` builds with the setuptools of this
        environment, so no network is needed; ``--target`` keeps the
        install out of the environment.
        """
        source = root / "source"
        source.mkdir(parents=True)
        (source / "pyproject.toml").write_text(self.pyproject(), encoding="utf-8")
        (source / f"{self.module}.py").write_text(self.source, encoding="utf-8")
        dist = root / "dist"
        site = root / "site"
        run_checked([*PIP, "wheel", "--no-deps", "--no-index", "--no-build-isolation", "-w", dist, source])
        wheels = sorted(dist.glob("*.whl"))
        assert len(wheels) == 1, f"expected one wheel, found {wheels}"
        run_checked([*PIP, "install", "--no-deps", "--no-index", "--target", site, wheels[0]])
        assert (site / f"{self.module}.py").is_file()
        return site

    def write_dist_info(self, site: Path) -> Path:
        """Only the metadata an installer leaves in ``site`` (no module); answers ``site``.

        Enough for the entry points to be found, so a test can show what
        happens when the module they name cannot be imported.
        """
        dist_info = site / f"{self.name.replace('-', '_')}-{self.version}.dist-info"
        dist_info.mkdir(parents=True)
        (dist_info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {self.name}\nVersion: {self.version}\n", encoding="utf-8"
        )
        entry_points = "".join(f"{name} = {target}\n" for name, target in self.entry_points.items())
        (dist_info / "entry_points.txt").write_text(f"[plantao]\n{entry_points}", encoding="utf-8")
        return site

    def forget(self) -> None:
        """Drop the plugin's module so that no other test sees it imported."""
        for name in [n for n in sys.modules if n == self.module or n.startswith(f"{self.module}.")]:
            del sys.modules[name]

    @contextlib.contextmanager
    def importable(self, site: Path) -> Iterator[None]:
        """``site`` on ``sys.path`` (and the module forgotten after) for the block's duration."""
        with pytest.MonkeyPatch.context() as patch:
            patch.syspath_prepend(str(site))
            importlib.invalidate_caches()
            try:
                yield
            finally:
                self.forget()
        importlib.invalidate_caches()
