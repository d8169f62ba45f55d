"""Text helpers for mail content: safe attachment names and HTML as plain text."""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser

from app.mail.headers import raw_to_text

#: Longest file name we hand out; storage uses its own ids, this is for display.
MAX_FILENAME = 200
#: Suffixes longer than this are not treated as an extension worth keeping.
MAX_EXTENSION = 16
#: Control, format (zero-width, bidi overrides), surrogate and separator characters.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_PATH_SEPARATORS = re.compile(r"[/\\]")
_WHITESPACE = re.compile(r"\s+")
_SPACES = re.compile(r"[ \t\r\n\f\v]+")
_TAG = re.compile(r"<[^>]*>")
_SKIPPED_BLOCK = re.compile(
    r"<(script|style|template|title)\b.*?(</\1\s*>|\Z)", re.IGNORECASE | re.DOTALL
)
_BLANK_LINES = re.compile(r"\n{3,}")
#: A "<" with another "<" (or the end) before any ">" cannot open a tag. Left
#: alone, html.parser rescans the rest of the input for each one: "<x" * 100_000
#: takes a minute. Each lookahead stops at the next "<" or ">", so this is linear.
_UNCLOSED_LT = re.compile(r"<(?=[^<>]*(?:<|\Z))")
#: Tags this long are attacks or inline data: URIs (which the sanitiser drops
#: anyway); html.parser's attribute scan grows worse than linearly with them.
_HUGE_TAG = re.compile(r"<[^<>]{10000,}>")

#: Elements whose content is not readable text.
_SKIPPED_TAGS = frozenset({"script", "style", "template", "title"})
#: Elements that start and end on their own line.
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt",
        "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol",
        "p", "pre", "section", "table", "tr", "ul",
    }
)  # fmt: skip


def safe_filename(name: str | None) -> str:
    """A bare, printable file name from an untrusted one; "" when nothing is left."""
    if not name:
        return ""
    # Normalise first: NFKC turns look-alikes such as "／" and "．" into "/" and ".".
    text = unicodedata.normalize("NFKC", raw_to_text(name[:4096]))
    text = "".join(
        char for char in text if unicodedata.category(char) not in _INVISIBLE_CATEGORIES
    )
    components = [part for part in _PATH_SEPARATORS.split(text) if part.strip()]
    text = _WHITESPACE.sub(" ", components[-1] if components else "")
    # A leading dot would make a hidden file (".htaccess") once saved by a user.
    return _shorten(text.strip().lstrip(". "))


def _shorten(name: str) -> str:
    if len(name) <= MAX_FILENAME:
        return name
    stem, dot, extension = name.rpartition(".")
    if not (dot and stem and len(extension) <= MAX_EXTENSION):
        return name[:MAX_FILENAME].rstrip()
    return stem[: MAX_FILENAME - len(extension) - 1].rstrip() + "." + extension


class _TextExtractor(HTMLParser):
    """Collects readable text, with line breaks where blocks start and end."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skipping = 0
        self._preformatted = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag == "br" and not self._skipping:
            # Unlike block edges, every <br> is a line of its own.
            self.chunks.append("\n")
        elif tag in _BLOCK_TAGS:
            self._newline()
        if tag == "pre":
            self._preformatted += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self._newline()
        if tag == "pre":
            self._preformatted = max(0, self._preformatted - 1)

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        if not self._preformatted:
            data = _SPACES.sub(" ", data)
            if not self.chunks or self.chunks[-1].endswith("\n"):
                data = data.lstrip(" ")
        if data:
            self.chunks.append(data)

    def _newline(self) -> None:
        if self.chunks and not self.chunks[-1].endswith("\n"):
            self.chunks.append("\n")


def defuse_markup(html_text: str) -> str:
    """HTML safe to feed html.parser quickly: no unclosed "<", no monster tags."""
    return _UNCLOSED_LT.sub("&lt;", _HUGE_TAG.sub(" ", html_text))


def html_to_text(html_text: str) -> str:
    """Readable plain text from HTML: tags stripped, blocks on their own lines."""
    extractor = _TextExtractor()
    try:
        extractor.feed(defuse_markup(html_text))
        extractor.close()
        text = "".join(extractor.chunks)
    except AssertionError:
        # html.parser asserts on some malformed declarations ("<![foo["); fall
        # back to crude tag stripping rather than losing the body.
        text = html.unescape(_TAG.sub(" ", _SKIPPED_BLOCK.sub(" ", html_text)))
    lines = [line.rstrip() for line in text.replace("\r", "").split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
