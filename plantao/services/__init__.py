"""The services: every write and read of the roster, shared by the API, the pages and the CLI."""

# Registers the listener that settles cover and swap requests of the teams a
# transaction changed (see plantao.services.requests): any code that writes
# through a service has imported this package first.
from . import requests as _requests  # noqa: F401
