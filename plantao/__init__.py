"""Plantão: escala de plantão, an on-call duty roster service."""
