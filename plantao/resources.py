"""Where the files shipped beside the code are found.

In the wheel, the top-level ``templates/`` and ``alembic/`` folders of the
repository are installed inside the package as ``plantao/templates`` and
``plantao/migrations`` (see ``setup.cfg``).  In a source checkout (an
editable install, or tests run from the repository) they are still at the
top of the repository.  This module is the one place that knows both.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _locate(installed: str, source: str) -> Path:
    for candidate in (PACKAGE_DIR / installed, PACKAGE_DIR.parent / source):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(
        f"Plantão is incompletely installed: neither {PACKAGE_DIR / installed} "
        f"nor {PACKAGE_DIR.parent / source} exists"
    )


TEMPLATES_DIR = _locate("templates", "templates")
MIGRATIONS_DIR = _locate("migrations", "alembic")
STATIC_DIR = PACKAGE_DIR / "static"


def template(name: str) -> str:
    """The absolute path of a Chameleon template, usable as a Pyramid renderer."""
    return str(TEMPLATES_DIR / name)
