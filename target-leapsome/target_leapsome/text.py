"""Text from Personio on its way to Leapsome and to the log: control characters cleaned or escaped.

Personio's values are unvetted. Leapsome must never receive a control character, and a name in a log line
must not be able to forge or split that line, so both rules live here, beside the one way employees are named.
"""

from __future__ import annotations

import unicodedata
from typing import Any


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc"


def clean_text(value: str) -> tuple[str, bool]:
    """Remove C0/C1 control characters (category Cc), which must never reach Leapsome.

    Whitespace controls (tab, newline, ...) become a space and the resulting runs collapse, so
    a tab between words reads as a space; others (NUL, BEL, ESC) are dropped. Format characters (Cf, such as
    the right-to-left mark) are legitimate in names and kept. Returns the text and whether it changed.
    """
    if not any(_is_control(char) for char in value):
        return value, False
    spaced = "".join(" " if char.isspace() else char for char in value if not _is_control(char) or char.isspace())
    return " ".join(spaced.split()), True


def escape_controls(text: str) -> str:
    """Make a name safe to put in one log line: control characters and line separators become escapes."""
    return "".join(
        char.encode("unicode_escape").decode("ascii") if _is_control(char) or char in "\u2028\u2029" else char
        for char in text
    )


def employee_label(employee_id: Any, first: Any = None, last: Any = None) -> str:
    """How an employee is named in errors and reports: the id plus the name, never other data.

    Names come from Personio unvetted, so control characters are escaped: a name must not be able to
    forge or split a log line.
    """
    name = " ".join(str(part) for part in (first, last) if part)
    return escape_controls(f"employee {employee_id} ({name})" if name else f"employee {employee_id}")
