"""Plantão: escala de plantão, an on-call duty roster service."""


def main(global_config=None, **settings):
    """PasteDeploy application factory (``egg:plantao``)."""
    from .app import main as app_main

    return app_main(global_config, **settings)
