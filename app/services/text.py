"""Normalising user-supplied text before it is stored or compared."""

from __future__ import annotations

import unicodedata

from app.errors import InvalidInputError

#: Characters that reorder or hide text and have no place in names and titles.
_INVISIBLE = dict.fromkeys(
    map(
        ord,
        "\u200b\u200c\u200d\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
    ),
    None,
)


def clean_line(
    value: str | None, *, field: str, max_length: int, required: bool = True
) -> str:
    """One line of text: NFC, no control or invisible characters, trimmed, bounded."""
    text = unicodedata.normalize("NFC", value or "")
    if "\x00" in text:
        raise InvalidInputError(field=field)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch == " ")
    text = " ".join(text.translate(_INVISIBLE).split())
    if required and not text:
        raise InvalidInputError(field=field)
    if len(text) > max_length:
        raise InvalidInputError(field=field)
    return text


def clean_text(value: str | None, *, field: str, max_length: int = 100_000) -> str:
    """Multi-line text: NFC, no NUL, at most ``max_length`` characters."""
    text = unicodedata.normalize("NFC", value or "")
    if "\x00" in text or len(text) > max_length:
        raise InvalidInputError(field=field)
    return text.replace("\r\n", "\n").strip()


def unique_key(value: str) -> str:
    """The form under which names are compared for uniqueness (NFKC, casefolded)."""
    return unicodedata.normalize("NFKC", value).casefold()


def contains_pattern(term: str) -> str:
    """A LIKE pattern matching ``term`` anywhere, with %, _ and \\ escaped by \\."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def display_name(row: object) -> str:
    """How a row is named to people: a user by full name (else username), others
    by their ``str``."""
    full_name = getattr(row, "get_full_name", None)
    if callable(full_name):
        return full_name() or getattr(row, "username", "")
    return str(row)
