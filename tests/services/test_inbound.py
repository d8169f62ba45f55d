"""Inbound mail: new tickets, threading without hijack, dedupe, loops, followers."""

from __future__ import annotations

import threading
from email.message import EmailMessage

import pytest

from app.extensions import db
from app.models import (
    Customer,
    InboundMail,
    Item,
    Message,
    Organization,
    OutboundEmail,
)
from app.services import items as item_service
from app.services import messages as message_service
from app.services.inbound import ingest_mail
from app.services.settings import MAIL_NEVER_FOLLOW, set_setting
from tests import factories


def make_mail(
    *,
    sender: str = "Ivan Petrov <ivan@aquaterra.ru>",
    subject: str = "Pump is noisy",
    body: str = "The pump makes a grinding noise since Monday.",
    message_id: str | None = "<first@aquaterra.ru>",
    **headers: str,
) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "support@atrium-desk.com"
    mail["Subject"] = subject
    if message_id:
        mail["Message-ID"] = message_id
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(body)
    return mail.as_bytes()


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


@pytest.fixture(autouse=True)
def _types(ticket_type):
    return ticket_type


def test_new_sender_makes_ticket_customer_and_organization():
    result = ingest_mail(make_mail())
    assert result.status == "stored"
    item = db.session.get(Item, result.item_id)
    assert item.title == "Pump is noisy"
    assert item.channel == "email"
    assert item.requester.email == "ivan@aquaterra.ru"
    assert item.requester.name == "Ivan Petrov"
    assert item.organization.domain_names == "aquaterra.ru"
    message = db.session.get(Message, result.message_id)
    assert "grinding noise" in message.body_text
    assert message.email_message_id == "first@aquaterra.ru"
    ack = db.session.scalars(db.select(OutboundEmail)).one()
    assert ack.event == "received" and ack.automatic is True
    assert ack.to_address == "ivan@aquaterra.ru"


def test_public_mail_domain_never_makes_an_organization():
    result = ingest_mail(make_mail(sender="someone@gmail.com"))
    item = db.session.get(Item, result.item_id)
    assert item.organization_id is None
    assert count(Organization) == 0


def test_same_message_twice_is_stored_once():
    first = ingest_mail(make_mail())
    second = ingest_mail(make_mail())
    assert first.status == "stored"
    assert second.status == "duplicate"
    assert count(Item) == 1 and count(Message) == 1


def test_two_mails_without_message_id_are_two_tickets():
    ingest_mail(make_mail(message_id=None, body="one"))
    ingest_mail(make_mail(message_id=None, body="two"))
    assert count(Item) == 2


def test_same_message_id_in_two_mailboxes_is_handled_per_mailbox():
    from app.models import Mailbox

    boxes = [
        Mailbox(name=f"box{n}", address=f"box{n}@atrium-desk.com", protocol="pipe")
        for n in (1, 2)
    ]
    db.session.add_all(boxes)
    db.session.commit()
    results = [ingest_mail(make_mail(), mailbox=box) for box in boxes]
    assert [r.status for r in results] == ["stored", "stored"]


def test_reply_by_token_from_requester_joins_the_ticket():
    first = ingest_mail(make_mail())
    number = db.session.get(Item, first.item_id).number
    reply = ingest_mail(
        make_mail(
            subject=f"Re: [{number}] Pump is noisy",
            body="It got worse.\n\nOn Monday Support wrote:\n> old text",
            message_id="<second@aquaterra.ru>",
        )
    )
    assert reply.item_id == first.item_id
    text = db.session.get(Message, reply.message_id).body_text
    assert "It got worse." in text and "old text" not in text


def test_reply_by_in_reply_to_joins_the_ticket():
    first = ingest_mail(make_mail())
    reply = ingest_mail(
        make_mail(
            subject="Re: something else",
            message_id="<second@aquaterra.ru>",
            In_Reply_To="<first@aquaterra.ru>",
        )
    )
    assert reply.item_id == first.item_id


def test_reply_to_our_outbound_message_id_joins_the_ticket(agent):
    first = ingest_mail(make_mail())
    message_service.post_message(
        first.item_id, agent, message_service.MessageDraft(body_text="Try this")
    )
    ours = db.session.scalars(
        db.select(OutboundEmail).where(OutboundEmail.event == "public_reply")
    ).one()
    reply = ingest_mail(
        make_mail(
            subject="no token here",
            message_id="<third@aquaterra.ru>",
            In_Reply_To=ours.message_id_header,
        )
    )
    assert reply.item_id == first.item_id


def test_thread_hijack_from_another_organization_makes_a_new_ticket():
    first = ingest_mail(make_mail())
    number = db.session.get(Item, first.item_id).number
    hijack = ingest_mail(
        make_mail(
            sender="ana@climatec.pt",
            subject=f"Re: [{number}] give me the data",
            message_id="<evil@climatec.pt>",
            In_Reply_To="<first@aquaterra.ru>",
        )
    )
    assert hijack.item_id != first.item_id
    assert count(Item) == 2
    assert db.session.get(Item, first.item_id).requester.email == "ivan@aquaterra.ru"


def test_colleague_of_same_organization_may_reply():
    first = ingest_mail(make_mail())
    number = db.session.get(Item, first.item_id).number
    reply = ingest_mail(
        make_mail(
            sender="olga@aquaterra.ru",
            subject=f"Re: [{number}]",
            message_id="<olga@aquaterra.ru>",
        )
    )
    assert reply.item_id == first.item_id


def test_agent_reply_by_mail_is_a_public_reply(make_user):
    agent = make_user("Agent", email="anna@atrium-desk.com")
    first = ingest_mail(make_mail())
    number = db.session.get(Item, first.item_id).number
    reply = ingest_mail(
        make_mail(
            sender="anna@atrium-desk.com",
            subject=f"Re: [{number}]",
            message_id="<anna@atrium-desk.com>",
        )
    )
    message = db.session.get(Message, reply.message_id)
    assert reply.item_id == first.item_id
    assert message.author_user_id == agent.id
    assert db.session.get(Item, first.item_id).first_response_at is not None


def test_disabled_agent_reply_by_mail_is_rejected(make_user):
    make_user("Agent", email="gone@atrium-desk.com", active=False)
    first = ingest_mail(make_mail())
    number = db.session.get(Item, first.item_id).number
    result = ingest_mail(
        make_mail(
            sender="gone@atrium-desk.com",
            subject=f"Re: [{number}]",
            message_id="<gone@atrium-desk.com>",
        )
    )
    assert result.status == "rejected"
    assert count(Message) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"Precedence": "auto_reply"},
        {"X_Loop": "support@atrium-desk.com"},
        {"Return_Path": "<>"},
        {"sender": "MAILER-DAEMON@mx.aquaterra.ru"},
    ],
)
def test_automatic_mail_is_stored_but_never_answered(headers):
    result = ingest_mail(make_mail(**headers))
    assert result.status == "stored"
    assert result.reason
    assert db.session.get(Message, result.message_id).automatic is True
    assert count(OutboundEmail) == 0


def test_auto_submitted_no_is_a_person():
    ingest_mail(make_mail(Auto_Submitted="no"))
    assert count(OutboundEmail) == 1


def test_our_own_mail_looping_back_is_dropped(agent):
    first = ingest_mail(make_mail())
    ack = db.session.scalars(db.select(OutboundEmail)).one()
    looped = ingest_mail(
        make_mail(sender="support@atrium-desk.com", message_id=ack.message_id_header)
    )
    assert looped.status == "ignored"
    assert count(Message) == 1 and first.status == "stored"


def test_ping_pong_with_an_auto_responder_stops_at_the_daily_cap():
    set_setting("mail_auto_reply_cap", 3)
    for n in range(6):
        ingest_mail(
            make_mail(
                subject=f"Vacation {n}",
                message_id=f"<v{n}@robot.com>",
                sender="robot@robot.com",
            )
        )
    sent = db.session.scalars(
        db.select(OutboundEmail.status).where(
            OutboundEmail.to_address == "robot@robot.com"
        )
    ).all()
    assert sent.count("pending") == 3
    assert sent.count("suppressed") == 3


def test_control_headers_are_ignored():
    result = ingest_mail(
        make_mail(
            X_Priority="1", X_HD_Priority="5", X_HD_Org="Climatec", Importance="high"
        )
    )
    item = db.session.get(Item, result.item_id)
    assert item.priority == 3
    assert item.organization.domain_names == "aquaterra.ru"


def test_cc_become_followers_except_excluded_and_our_own(make_user):
    make_user("Agent", email="anna@atrium-desk.com")
    set_setting(MAIL_NEVER_FOLLOW, ["boss@aquaterra.ru", "@noise.com"])
    result = ingest_mail(
        make_mail(
            Cc="olga@aquaterra.ru, boss@aquaterra.ru, x@noise.com, "
            "support@atrium-desk.com, anna@atrium-desk.com"
        )
    )
    item = db.session.get(Item, result.item_id)
    assert [c.email for c in item.customer_followers] == ["olga@aquaterra.ru"]
    assert count(Customer) == 2


def test_html_only_mail_is_sanitized():
    mail = EmailMessage()
    mail["From"] = "ivan@aquaterra.ru"
    mail["Subject"] = "HTML"
    mail["Message-ID"] = "<html@aquaterra.ru>"
    mail.set_content(
        '<p>Hello<script>alert(1)</script><img src=x onerror="alert(2)"></p>',
        subtype="html",
    )
    result = ingest_mail(mail.as_bytes())
    message = db.session.get(Message, result.message_id)
    assert "Hello" in message.body_html
    assert "script" not in message.body_html and "onerror" not in message.body_html


def test_unparsable_mail_is_rejected_and_logged():
    result = ingest_mail(b"")
    assert result.status == "rejected"
    assert count(Item) == 0


def test_attachments_of_a_mail_are_stored(app):
    mail = EmailMessage()
    mail["From"] = "ivan@aquaterra.ru"
    mail["Subject"] = "Photo"
    mail["Message-ID"] = "<photo@aquaterra.ru>"
    mail.set_content("see photo")
    mail.add_attachment(
        b"\x89PNG\r\n\x1a\nfake",
        maintype="image",
        subtype="png",
        filename="../../p.png",
    )
    result = ingest_mail(mail.as_bytes())
    message = db.session.get(Message, result.message_id)
    assert [a.filename for a in message.attachments] == ["p.png"]


def test_concurrent_duplicate_delivery_yields_one_ticket(app):
    raw = make_mail()
    statuses: list[str] = []
    barrier = threading.Barrier(2)

    errors: list[BaseException] = []

    def deliver() -> None:
        with app.app_context():
            barrier.wait()
            try:
                for _ in range(10):
                    statuses.append(ingest_mail(raw).status)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            db.session.remove()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert statuses.count("stored") == 1
    assert statuses.count("duplicate") == 19
    assert count(Item) == 1 and count(InboundMail) == 1


def test_reply_on_an_item_the_customer_requested_via_portal(agent, make_customer_user):
    org = factories.OrganizationFactory(name="Aquaterra")
    user, customer = make_customer_user(org, email="ivan@aquaterra.ru")
    item = item_service.create_item(
        agent,
        kind="ticket",
        title="Portal ticket",
        item_type_id=db.session.scalars(db.select(Item.item_type_id)).first()
        or _any_type(),
        requester_id=customer.id,
    )
    reply = ingest_mail(make_mail(subject=f"Re: [{item.number}]"))
    assert reply.item_id == item.id


def _any_type() -> int:
    from app.models import ItemType

    return db.session.scalars(db.select(ItemType.id)).first()
