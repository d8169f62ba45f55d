"""Loop checks: does an inbound mail come from a machine rather than a person?"""

from __future__ import annotations

from collections.abc import Iterable

from app.mail.parse import ParsedMail

#: Sender local parts used by bounce generators and unattended senders.
#: Replying to them either bounces again or reaches nobody.
PUBLIC_BOUNCE_LOCALPARTS = (
    "mailer-daemon",
    "postmaster",
    "noreply",
    "no-reply",
    "do-not-reply",
    "donotreply",
    "bounce",
    "bounces",
)
#: Separators that start a VERP or tag suffix: "bounces+1234=x@list.example".
_LOCALPART_SUFFIXES = ("+", "-", "=", ".", "_")
#: Precedence values that mark mail nobody should answer automatically.
_AUTOMATIC_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
#: Outlook puts X-Auto-Response-Suppress on ordinary human mail to ask *us* not
#: to auto-reply; its presence says nothing about who wrote the mail.
_HUMAN_SAFE_HEADERS = frozenset({"x-auto-response-suppress"})


def automatic_reason(
    mail: ParsedMail, *, our_loop_tokens: Iterable[str] = ()
) -> str | None:
    """Why the mail looks machine-sent ("auto-submitted", "x-loop", ...), or None."""
    checks = (
        ("auto-submitted", _auto_submitted(mail)),
        ("precedence", _precedence(mail) in _AUTOMATIC_PRECEDENCE),
        ("x-loop", _loops_through_us(mail, our_loop_tokens)),
        ("empty-return-path", mail.return_path == ""),
        ("mailer-daemon", _bounce_sender(mail)),
        ("auto-reply-header", _auto_reply_header(mail)),
        ("list", bool(mail.list_id)),
    )
    return next((reason for reason, matched in checks if matched), None)


def _auto_submitted(mail: ParsedMail) -> bool:
    # "Auto-Submitted: no; comment" is how a person's mail may say "not automatic".
    keyword = mail.auto_submitted.split(";", 1)[0].strip().lower()
    return bool(keyword) and keyword != "no"


def _precedence(mail: ParsedMail) -> str:
    return mail.precedence.split(";", 1)[0].strip().lower()


def _loops_through_us(mail: ParsedMail, our_loop_tokens: Iterable[str]) -> bool:
    ours = {token.strip().lower() for token in our_loop_tokens if token.strip()}
    return any(value.strip().lower() in ours for value in mail.x_loop)


def _bounce_sender(mail: ParsedMail) -> bool:
    return any(
        _is_bounce_address(address)
        for address in (mail.from_address, mail.return_path or "")
    )


def _is_bounce_address(address: str) -> bool:
    local = address.rpartition("@")[0].strip('"').lower()
    if not local:
        return False
    return any(
        local == name or local.startswith(tuple(name + s for s in _LOCALPART_SUFFIXES))
        for name in PUBLIC_BOUNCE_LOCALPARTS
    )


def _auto_reply_header(mail: ParsedMail) -> bool:
    return any(
        name.lower() not in _HUMAN_SAFE_HEADERS for name in mail.other_auto_headers
    )
