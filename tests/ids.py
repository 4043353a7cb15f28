"""Test ids that name a case in plain ASCII.

pytest escapes a non-ASCII character in a test id (an en dash becomes ``\\u2013``), and such
an id is not found again when it is handed back to ``pytest.main`` in a process that has
already collected the tests, which is what mutmut's fork server does: every mutant whose tests
include one ended with exit code 255, which mutmut counts as a *timeout* (docs/testing.md,
"Mutation testing")."""

from __future__ import annotations

import unicodedata


def ascii_id(value: object) -> str | None:
    """``value`` spelt in ASCII (``10<en dash>20``) if it is a string, else pytest's own id."""
    if not isinstance(value, str):
        return None
    return "".join(c if c.isascii() else f"<{unicodedata.name(c, 'char').lower()}>" for c in value)
