"""safe_filename and html_to_text on hostile names and markup."""

from __future__ import annotations

import time

import pytest

from app.mail.parse import html_to_text, safe_filename
from app.mail.text import defuse_markup


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../x", "x"),
        ("..\\..\\x", "x"),
        ("C:\\Windows\\system32\\evil.dll", "evil.dll"),
        ("/etc/passwd", "passwd"),
        ("dir/", "dir"),
        ("..", ""),
        ("../", ""),
        (".htaccess", "htaccess"),
        ("...hidden.txt", "hidden.txt"),
        ("x.php\u200b", "x.php"),
        ("in\u202evoice\u202cfdp.exe", "invoicefdp.exe"),
        ("a\x00b\x01c\x7f.txt", "abc.txt"),
        ("line\r\nbreak.txt", "linebreak.txt"),
        ("ｆｕｌｌ．ｔｘｔ", "full.txt"),
        ("..／..／ｘ", "x"),
        ("  spaced   out .txt  ", "spaced out .txt"),
        ("CON", "CON"),
        ("Счёт.pdf", "Счёт.pdf"),
        ("", ""),
        (None, ""),
    ],
)
def test_safe_filename(name: str | None, expected: str) -> None:
    assert safe_filename(name) == expected


def test_long_filename_is_trimmed_keeping_its_extension() -> None:
    name = safe_filename("a" * 300 + ".docx")

    assert len(name) <= 200
    assert name.endswith(".docx")
    assert name.startswith("aaa")


def test_long_filename_with_a_long_suffix_is_simply_cut() -> None:
    assert len(safe_filename("a" * 150 + "." + "b" * 150)) <= 200


def test_raw_8bit_filename_is_decoded() -> None:
    raw = "Grüße.txt".encode().decode("ascii", "surrogateescape")

    assert safe_filename(raw) == "Grüße.txt"


def test_html_to_text_drops_script_and_style_content() -> None:
    html = (
        "<style>.x { color: red }</style><p>Visible</p>"
        "<script>document.write('secret')</script><SCRIPT>alert(1)</SCRIPT>"
        "<template><p>tpl</p></template><title>Title</title>"
    )

    assert html_to_text(html) == "Visible"


def test_html_to_text_puts_blocks_on_lines_and_unescapes() -> None:
    html = (
        "<h1>Head</h1><p>One &amp; two &lt;3&gt;</p><ul><li>a</li><li>b</li></ul>"
        "<div>x<br>y</div><table><tr><td>c1</td><td>c2</td></tr></table>"
        "<p>  spaced \n  out  </p>"
    )

    assert html_to_text(html) == "Head\nOne & two <3>\na\nb\nx\ny\nc1c2\nspaced out"


def test_html_to_text_keeps_preformatted_text() -> None:
    assert html_to_text("<pre>a  b\n  c</pre>") == "a  b\n  c"


def test_html_to_text_collapses_blank_lines() -> None:
    assert html_to_text("<p>a</p>\n\n\n<br><br><br><br><p>b</p>") == "a\n\nb"


def test_unclosed_script_never_leaks() -> None:
    assert html_to_text("<p>ok</p><script>alert('x')") == "ok"


def test_html_parser_assertions_fall_back_to_tag_stripping() -> None:
    text = html_to_text("<p>before</p><![bogus[ x ]]><script>evil()</script>after")

    assert "before" in text and "after" in text
    assert "evil" not in text


@pytest.mark.parametrize(
    "markup",
    [
        "<x" * 100_000,
        "</" * 100_000,
        "<?" * 100_000,
        "<!" * 100_000,
        "<a " + "x " * 200_000 + ">",
        ("<a " + "x=1 " * 2_400 + ">") * 100,
        '<a x="' + "<" * 400_000,
    ],
)
def test_pathological_markup_is_read_in_linear_time(markup: str) -> None:
    started = time.perf_counter()

    html_to_text(markup)

    assert time.perf_counter() - started < 2


def test_defusing_leaves_well_formed_markup_alone() -> None:
    html = '<p class="a">x &lt; y</p><!-- note --><br/><img src="cid:a">'

    assert defuse_markup(html) == html
    assert defuse_markup("a < b <p>c</p>") == "a &lt; b <p>c</p>"
