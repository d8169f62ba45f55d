"""Reply trimming in plain text and HTML, across clients and languages."""

from __future__ import annotations

import time

import pytest

from app.mail.quoting import (
    MAX_TRIM_HTML,
    MAX_TRIM_TEXT,
    REPLY_MARKER,
    trim_quoted_html,
    trim_quoted_text,
)


@pytest.mark.parametrize(
    "attribution",
    [
        "On Mon, Jan 1, 2024 at 10:00 AM Desk <desk@example.com> wrote:",
        "Am 01.01.2024 um 10:00 schrieb Desk <desk@example.com>:",
        "01.01.2024 10:00, Служба поддержки пишет:",
        "Служба поддержки написал(а):",
        "Il giorno lun 1 gen 2024 alle ore 10:00 Desk ha scritto:",
        "Em seg., 1 de jan. de 2024 às 10:00, Desk escreveu:",
        "man. 1. jan. 2024 kl. 10:00 skrev Desk <desk@example.com>:",
        "Le lun. 1 janv. 2024 à 10:00, Desk a écrit :",
        "пн, 1 янв. 2024 г. в 10:00, Desk <desk@example.com>:",
    ],
)
def test_attribution_and_quote_are_cut(attribution: str) -> None:
    text = f"Thanks, it works now.\n\n{attribution}\n> Please try again.\n>\n> Desk\n"

    assert trim_quoted_text(text) == "Thanks, it works now."


def test_wrapped_attribution_is_cut_whole() -> None:
    text = (
        "Fixed.\n\nOn Mon, Jan 1, 2024 at 10:00 AM Atrium Support Desk <\n"
        "desk@example.com> wrote:\n\n> old text\n"
    )

    assert trim_quoted_text(text) == "Fixed."


def test_our_marker_cuts_everything_below() -> None:
    text = (
        "My answer\nsecond line\n\nOn Tue, Desk <desk@example.com> wrote:\n"
        f"> {REPLY_MARKER}\n> Your ticket T-1 was updated.\n"
    )

    assert trim_quoted_text(text) == "My answer\nsecond line"


def test_unquoted_marker_cuts_too() -> None:
    text = f"Answer\n\n{REPLY_MARKER}\n\nTicket T-1 was updated.\n"

    assert trim_quoted_text(text) == "Answer"


@pytest.mark.parametrize(
    "separator",
    [
        "-----Original Message-----",
        "----- Ursprüngliche Nachricht -----",
        "-------- Исходное сообщение --------",
        "-----Messaggio originale-----",
    ],
)
def test_original_message_separators_cut(separator: str) -> None:
    text = f"See below.\n\n{separator}\nFrom: Desk\nSubject: Re: x\n\nold text\n"

    assert trim_quoted_text(text) == "See below."


def test_outlook_header_block_is_cut() -> None:
    text = (
        "Done, thanks.\n\n________________________________\n"
        "From: Desk <desk@example.com>\nSent: Monday, January 1, 2024 10:00\n"
        "To: Alice\nSubject: RE: Printer\n\nold text\n"
    )

    assert trim_quoted_text(text) == "Done, thanks."


def test_german_outlook_block_is_cut() -> None:
    text = (
        "Erledigt.\n\nVon: Desk <desk@example.com>\n"
        "Gesendet: Montag, 1. Januar 2024 10:00\nAn: Alice\nBetreff: AW: Drucker\n"
    )

    assert trim_quoted_text(text) == "Erledigt."


def test_forwarded_history_is_kept() -> None:
    text = (
        "Please look at this.\n\n-----Original Message-----\n"
        "From: Customer <c@example.com>\nSent: Monday\nSubject: FW: Broken\n\n"
        "The machine is broken.\n"
    )

    assert trim_quoted_text(text) == text.strip()


def test_inline_replies_are_kept() -> None:
    text = (
        "On Mon, Desk <desk@example.com> wrote:\n> Which model?\n"
        "The X200.\n> Since when?\nSince Monday.\n"
    )

    assert trim_quoted_text(text) == text.strip()


def test_trailing_quote_without_attribution_is_dropped() -> None:
    assert trim_quoted_text("Yes.\n\n> Is it on?\n> \n\n") == "Yes."


def test_all_quoted_returns_the_original_stripped() -> None:
    text = "\n> only\n> quoted text\n\n"

    assert trim_quoted_text(text) == "> only\n> quoted text"


def test_text_below_a_top_marker_is_not_lost() -> None:
    text = f"> {REPLY_MARKER}\n> old\n\nanswer written below\n"

    assert trim_quoted_text(text) == text.strip()


def test_plain_text_without_quotes_only_loses_trailing_space() -> None:
    text = "Hello,\r\n\r\nthe printer is on fire:   \r\nplease help.\r\n\r\n"

    assert trim_quoted_text(text) == "Hello,\n\nthe printer is on fire:\nplease help."


def test_gmail_quote_is_removed() -> None:
    html = (
        '<div dir="ltr">Works now</div><br><div class="gmail_quote">'
        '<div dir="ltr" class="gmail_attr">On Mon, Desk wrote:<br></div>'
        '<blockquote class="gmail_quote"><div>old <div>nested</div></div>'
        "</blockquote></div>"
    )

    assert trim_quoted_html(html) == '<div dir="ltr">Works now</div><br>'


def test_cite_blockquote_is_removed_with_nesting() -> None:
    html = (
        '<p>New text</p><blockquote type="cite"><p>old</p>'
        "<blockquote type='cite'>older</blockquote><p>old again</p></blockquote>"
        "<p>signature</p>"
    )

    assert trim_quoted_html(html) == "<p>New text</p><p>signature</p>"


def test_thunderbird_prefix_and_blockquote_are_removed() -> None:
    html = (
        '<p>Answer</p><div class="moz-cite-prefix">On 01.01.24 Desk wrote:<br>'
        '</div>\n<blockquote cite="mid:x@y">old</blockquote>'
    )

    assert trim_quoted_html(html) == "<p>Answer</p>\n"


def test_outlook_reply_block_and_everything_after_is_removed() -> None:
    html = (
        '<div>Thanks!</div><div id="appendonsend"></div>'
        '<hr style="display:inline-block;width:98%" tabindex="-1">'
        '<div id="divRplyFwdMsg" dir="ltr"><b>From:</b> Desk<br>'
        "<b>Subject:</b> RE: Printer</div><div>old text</div>"
    )

    assert trim_quoted_html(html) == "<div>Thanks!</div>"


def test_outlook_forward_is_kept() -> None:
    html = (
        '<div>FYI</div><hr><div id="divRplyFwdMsg"><b>From:</b> C<br>'
        "<b>Subject:</b> FW: Printer</div><div>The printer is broken</div>"
    )

    assert trim_quoted_html(html) == html


def test_gmail_forward_is_kept() -> None:
    html = (
        '<div>see below</div><div class="gmail_quote"><div class="gmail_attr">'
        "---------- Forwarded message ---------<br>From: C</div><div>broken</div></div>"
    )

    assert trim_quoted_html(html) == html


def test_html_marker_cuts_everything_below() -> None:
    html = (
        f"<p>My <b>answer</b> &amp; more</p><p>{REPLY_MARKER}</p><p>Ticket updated</p>"
    )

    result = trim_quoted_html(html)

    assert result.startswith("<p>My <b>answer</b> &amp; more</p>")
    assert "Ticket updated" not in result and "Please type" not in result


def test_html_text_is_re_escaped() -> None:
    html = '<p>a &lt;script&gt; b</p><blockquote type="cite">x</blockquote>'

    assert trim_quoted_html(html) == "<p>a &lt;script&gt; b</p>"


def test_style_content_is_re_emitted_raw() -> None:
    html = "<style>p > b { color: red }</style><p>x</p>"

    assert trim_quoted_html(html) == html


def test_html_that_is_all_quote_is_returned_unchanged() -> None:
    html = '<blockquote type="cite">only quote</blockquote>'

    assert trim_quoted_html(html) == html


def test_malformed_html_is_returned_unchanged() -> None:
    html = '<p>a</p><![bogus[ x ]]><blockquote type="cite">q</blockquote>'

    assert trim_quoted_html(html) == html


def test_oversized_inputs_are_returned_without_trimming() -> None:
    text = "answer\n" + "> quoted\n" * (MAX_TRIM_TEXT // 9 + 1)
    html = "<p>answer</p>" + '<blockquote type="cite"><b>x</b></blockquote>' * (
        MAX_TRIM_HTML // 40
    )

    started = time.perf_counter()

    assert trim_quoted_text(text) == text.strip()
    assert trim_quoted_html(html) == html
    assert time.perf_counter() - started < 1


def test_pathological_html_is_trimmed_quickly() -> None:
    html = "<p>answer</p>" + "<x" * 200_000

    started = time.perf_counter()
    trim_quoted_html(html)

    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    "marker",
    [
        "##- Please type your reply above this line -##",
        "##- Пожалуйста, пишите ответ над этой строкой -##",
        "##- Skriv svaret ditt over denne linjen -##",
    ],
)
def test_translated_reply_markers_cut_the_history(marker):
    text = f"New answer\n\n{marker}\n\nOld mail we sent\n"
    assert trim_quoted_text(text) == "New answer"
