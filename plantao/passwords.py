"""Which passwords are too weak to guard a production instance.

A password guards the admin panel, the API and (for a private roster) the
pages; the login throttle slows guessing down, but a short password, or one
every guessing list starts with, falls anyway.  The list of common passwords
is the one zxcvbn ships (30,000 entries from leaked password sets), kept up
by its maintainers rather than by us.
"""

from __future__ import annotations

from functools import cache

#: The shortest password a production instance accepts.
MIN_LENGTH = 12


@cache
def _common_passwords() -> frozenset[str]:
    # Imported on first use: the list is large and only configuration
    # checks need it.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def weakness(password: str) -> str | None:
    """Why ``password`` is too weak, in words fit for an operator, or ``None``.

    The reason never repeats the password: it ends up in logs.
    """
    if len(password) < MIN_LENGTH:
        return f"is shorter than {MIN_LENGTH} characters"
    if password.lower() in _common_passwords():
        return "is in the list of the most common passwords (zxcvbn's)"
    return None
