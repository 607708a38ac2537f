"""Build hook: everything declarative lives in setup.cfg.

setup.cfg maps the top-level source folders into the wheel (``templates/``
and ``alembic/`` become ``plantao/templates`` and ``plantao/migrations``,
``plugins/`` becomes ``plantao_plugins``); this file only exists because
setuptools needs an entry point for that mapping to work in every build
frontend.
"""

from setuptools import setup

setup()
