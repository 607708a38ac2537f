"""Plantão's built-in plugins, installed as the ``plantao_plugins`` package.

Each module registers through the ``plantao`` entry-point group in
``setup.cfg``, exactly as a third-party distribution would: the core never
imports these modules by name.
"""
