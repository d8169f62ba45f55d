"""Rich text: the nh3 allowlist every stored HTML body passes through."""

from __future__ import annotations

import html
import re

import nh3

ALLOWED_TAGS = frozenset(
    {
        "a", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4",
        "hr", "i", "img", "li", "ol", "p", "pre", "s", "span", "strong", "sub",
        "sup", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
#: Links may point to the web and to mail; images only to inline mail parts.
URL_SCHEMES = frozenset({"http", "https", "mailto", "cid"})
#: Tags removed together with everything inside them.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "title", "head"})
_CID_SRC = re.compile(r'src="cid:([^"]+)"')


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    # Remote images would tell the sender when and where a mail was read.
    if tag == "img" and attribute == "src" and not value.startswith("cid:"):
        return None
    return value


def sanitize_html(value: str | None) -> str:
    """HTML reduced to the allowlist: no scripts, handlers, styles or odd URLs."""
    if not value:
        return ""
    return nh3.clean(
        value.replace("\x00", ""),
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_keep_attribute,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
    ).strip()


def text_to_html(text: str) -> str:
    """Plain text as escaped HTML paragraphs with line breaks."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "".join(
        "<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs if p
    )


def html_to_plain(value: str) -> str:
    """Visible text of sanitized HTML, for search, previews and plain-text mail."""
    text = re.sub(r"(?i)<br\s*/?>|</(p|div|li|tr|h\d|blockquote|pre)>", "\n", value)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def link_inline_images(value: str, urls: dict[str, str]) -> str:
    """Point ``cid:`` image sources at their attachment URLs; drop unknown ones."""

    def _swap(match: re.Match[str]) -> str:
        url = urls.get(html.unescape(match.group(1)))
        return f'src="{html.escape(url)}"' if url else 'src=""'

    return _CID_SRC.sub(_swap, value)
