"""Reply trimming: cut the quoted history off a reply so only the new text stays."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from app.mail.text import defuse_markup, html_to_text

REPLY_MARKER = "##- Please type your reply above this line -##"
#: Longer bodies are returned whole: trimming is a nicety, and html.parser
#: needs up to 3 s per megabyte of dense tags. No real reply comes near these sizes.
MAX_TRIM_TEXT = 5_000_000
MAX_TRIM_HTML = 500_000

#: Our marker in any language (the phrase between the hashes is translated).
_MARKER = re.compile(r"##-\s*\S[^#\n]{0,200}?\s*-##")
#: "On <date>, <name> wrote:" in the languages our customers write in.
_ATTRIBUTION = re.compile(
    r"(wrote|writes|пишет|написал|написала|написал\(а\)|ha scritto|escreveu|skrev"
    r"|schrieb|a écrit|escribió|schreef)\s*:\s*$",
    re.IGNORECASE,
)
#: Clients that put no verb in the attribution still name the address and end
#: with a colon: "пн, 1 янв. 2024 г. в 10:00, Иван <ivan@example.ru>:".
_ATTRIBUTION_BY_ADDRESS = re.compile(r"@[^\s>]+>?\s*:\s*$")
#: The first line of a two-line attribution wrapped by the sending client.
_ATTRIBUTION_OPENER = re.compile(r"^\s*(On|Am|Le|El|Il|Em|Den|Op|W dniu)\s", re.I)
_SEPARATOR = re.compile(
    r"^\s*-{2,}\s*(original message|ursprüngliche nachricht|исходное сообщение"
    r"|message d'origine|messaggio originale|mensagem original|mensaje original"
    r"|opprinnelig melding|oorspronkelijk bericht)\s*-{2,}\s*$",
    re.IGNORECASE,
)
#: Outlook's header block: a "From:" line with a "Sent:" line shortly after it.
_OUTLOOK_FROM = re.compile(r"^\s*\*?(from|von|de|da|от|fra|van)\s*:", re.I)
_OUTLOOK_SENT = re.compile(
    r"^\s*\*?(sent|gesendet|envoyé|enviado|inviato|отправлено|sendt|verzonden)\s*:",
    re.IGNORECASE,
)
#: Hints that the history below is a forward: its content is the message.
_FORWARD_HINT = re.compile(
    r"forwarded message|weitergeleitete nachricht|пересылаемое сообщение"
    r"|message transféré|messaggio inoltrato|mensagem encaminhada|mensaje reenviado"
    r"|(subject|betreff|objet|oggetto|assunto|asunto|emne|тема)\s*:\s*"
    r"(fwd?|wg|tr|vs|rv|enc|i)\s*:",
    re.IGNORECASE,
)
#: Lines that only decorate a cut: Outlook's underscores, dashes, blank lines.
_DECORATION = re.compile(r"^\s*[_\-=*]*\s*$")
_LOOKAHEAD = 8


def trim_quoted_text(text: str) -> str:
    """The new part of a plain-text reply, without the quoted history."""
    if len(text) > MAX_TRIM_TEXT:
        return text.strip()
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _first_cut(lines)
    kept, trimmed = _drop_trailing_quotes(lines[:cut])
    if trimmed or cut < len(lines):
        kept = _drop_attribution(kept)
    while kept and _DECORATION.match(kept[-1]):
        kept.pop()
    result = "\n".join(line.rstrip() for line in kept).rstrip()
    return result if result.strip() else text.strip()


def _first_cut(lines: list[str]) -> int:
    for index, line in enumerate(lines):
        if _MARKER.search(line):
            return index
        if _SEPARATOR.match(line) or _is_outlook_block(lines, index):
            following = "\n".join(lines[index : index + _LOOKAHEAD])
            if not _FORWARD_HINT.search(following):
                return index
    return len(lines)


def _is_outlook_block(lines: list[str], index: int) -> bool:
    if not _OUTLOOK_FROM.match(lines[index]):
        return False
    return any(_OUTLOOK_SENT.match(line) for line in lines[index + 1 : index + 5])


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _drop_trailing_quotes(lines: list[str]) -> tuple[list[str], bool]:
    end = len(lines)
    trimmed = False
    while end and (_is_quoted(lines[end - 1]) or not lines[end - 1].strip()):
        trimmed = trimmed or _is_quoted(lines[end - 1])
        end -= 1
    return lines[:end], trimmed


def _is_attribution(line: str) -> bool:
    return bool(_ATTRIBUTION.search(line) or _ATTRIBUTION_BY_ADDRESS.search(line))


def _drop_attribution(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    if not lines or not _is_attribution(lines[-1]):
        return lines
    last = lines.pop()
    # Clients wrap long attributions: "On Mon, 1 Jan 2024, John <" / "j@x> wrote:".
    if (
        lines
        and not _ATTRIBUTION_OPENER.match(last)
        and _ATTRIBUTION_OPENER.match(lines[-1])
    ):
        lines.pop()
    return lines


def _class_names(attrs: list[tuple[str, str | None]]) -> set[str]:
    return {
        name for key, value in attrs if key == "class" for name in (value or "").split()
    }


def _element_id(attrs: list[tuple[str, str | None]]) -> str:
    return next((value or "" for key, value in attrs if key == "id"), "")


class _QuoteStripper(HTMLParser):
    """Re-emits HTML, holding back quoted history so it can be dropped.

    Quoted parts go to a held buffer rather than straight to the bin: when the
    held text turns out to be a forward, it is the message and is put back.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._held: list[str] | None = None
        self._held_text: list[str] = []
        self._held_tag = ""
        self._held_depth = 0
        self._until_end = False
        self._next_blockquote_quoted = False
        self._raw_text = False
        self._stopped = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._stopped:
            return
        self._raw_text = tag in {"script", "style"}
        if self._held is not None:
            self._held_depth += tag == self._held_tag
        else:
            self._classify(tag, attrs)
        self._emit(self.get_starttag_text() or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._emit(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if self._stopped:
            return
        self._raw_text = False
        self._emit(f"</{tag}>")
        if self._held is not None and not self._until_end and tag == self._held_tag:
            self._held_depth -= 1
            if self._held_depth == 0:
                self._release()

    def handle_data(self, data: str) -> None:
        if self._stopped:
            return
        marker = _MARKER.search(data)
        if marker:
            data = data[: marker.start()]
        if self._raw_text:
            self._emit(data)
        else:
            self._emit(html.escape(data, quote=False))
        if self._held is not None:
            self._held_text.append(data)
        elif data.strip():
            self._next_blockquote_quoted = False
        if marker:
            # Everything below our marker is our own earlier message.
            self._release()
            self._stopped = True

    def handle_decl(self, decl: str) -> None:
        self._emit(f"<!{decl}>")

    def close(self) -> None:
        """Finish parsing and decide about history held until the end."""
        super().close()
        self._release()

    def _classify(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = _class_names(attrs)
        element_id = _element_id(attrs)
        if element_id in {"divRplyFwdMsg", "appendonsend"}:
            # Outlook puts the whole history after this element, not inside it.
            self._hold(tag, until_end=True)
        elif tag == "blockquote" and (
            (dict(attrs).get("type") or "").lower() == "cite"
            or self._next_blockquote_quoted
        ):
            self._next_blockquote_quoted = False
            self._hold(tag)
        elif tag == "div" and classes & {"gmail_quote", "yahoo_quoted"}:
            self._hold(tag)
        elif tag == "div" and "moz-cite-prefix" in classes:
            self._next_blockquote_quoted = True
            self._hold(tag)

    def _hold(self, tag: str, *, until_end: bool = False) -> None:
        self._held = []
        if until_end:
            # Outlook draws a rule right above its history; it goes with it.
            while self.out and (
                not self.out[-1].strip() or self.out[-1].lower().startswith("<hr")
            ):
                self._held.insert(0, self.out.pop())
        self._held_text = []
        self._held_tag = tag
        self._held_depth = 1
        self._until_end = until_end

    def _release(self) -> None:
        if self._held is not None and _FORWARD_HINT.search("".join(self._held_text)):
            self.out.extend(self._held)
        self._held = None
        self._until_end = False

    def _emit(self, chunk: str) -> None:
        if self._stopped:
            return
        (self.out if self._held is None else self._held).append(chunk)


def trim_quoted_html(html_text: str) -> str:
    """The new part of an HTML reply; the input unchanged if nothing would be left."""
    if len(html_text) > MAX_TRIM_HTML:
        return html_text
    stripper = _QuoteStripper()
    try:
        stripper.feed(defuse_markup(html_text))
        stripper.close()
    except AssertionError:
        # html.parser asserts on some malformed declarations; keep the mail whole.
        return html_text
    result = "".join(stripper.out)
    return result if html_to_text(result).strip() else html_text
