"""Outbound mail through a real SMTP sink: headers, threading, language, no repeats."""

from __future__ import annotations

import datetime as dt
import io
from email.message import EmailMessage

import pytest
from flask_babel import force_locale
from jinja2 import Environment

from app.extensions import db
from app.jobs.mail import dispatch_outbox, send_outbound_email
from app.models import (
    Customer,
    EmailTemplate,
    Item,
    JobRun,
    Mailbox,
    Message,
    OutboundEmail,
    Status,
    StatusCategory,
)
from app.models.base import utcnow
from app.services import items as item_service
from app.services import messages as message_service
from app.services.attachments import UploadedFile
from app.services.email_templates import default_template
from app.services.inbound import ingest_mail
from app.services.messages import MessageDraft
from app.services.notifications import reply_marker
from app.services.outbox import item_thread_id, send_outbound
from app.services.workflows import create_item_type
from tests import factories
from tests.mailservers import ReceivedMail, SmtpSink

SUPPORT = "support@atrium-desk.com"
CUSTOMER = "ivan@aquaterra.ru"
FIRST_ID = "<first@aquaterra.ru>"


@pytest.fixture
def ticket_type():
    return create_item_type("ticket", "Question")


@pytest.fixture
def agent(make_user):
    return make_user("Agent", first_name="Anna", last_name="Agent")


def make_mail(
    *,
    sender: str = f"Ivan Petrov <{CUSTOMER}>",
    subject: str = "Pump is noisy",
    body: str = "The pump makes a grinding noise.",
    message_id: str = FIRST_ID,
    **headers: str,
) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = SUPPORT
    mail["Subject"] = subject
    mail["Message-ID"] = message_id
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(body)
    return mail.as_bytes()


@pytest.fixture
def mailed_ticket(ticket_type) -> Item:
    """A ticket a customer opened by mail (its acknowledgement is in the outbox)."""
    result = ingest_mail(make_mail())
    assert result.status == "stored"
    return db.session.get(Item, result.item_id)


def outbox_row(event: str, to_address: str = CUSTOMER) -> OutboundEmail:
    db.session.expire_all()
    return db.session.scalars(
        db.select(OutboundEmail).filter_by(event=event, to_address=to_address)
    ).one()


def received(sink: SmtpSink, row: OutboundEmail) -> list[ReceivedMail]:
    """What the sink got for this outbox row (matched by its fixed Message-ID)."""
    return [
        mail
        for mail in sink.messages
        if header(mail.message, "Message-ID") == row.message_id_header
    ]


def header(message: EmailMessage, name: str) -> str:
    """A header's value unfolded (a long Message-ID may start on its own line)."""
    return " ".join(str(message[name]).split())


def reply(item: Item, agent, text: str, files=()) -> None:
    message_service.post_message(
        item.id, agent, MessageDraft(body_text=text, files=list(files))
    )


def resolved_status(item_type) -> Status:
    return db.session.scalars(
        db.select(Status).filter_by(
            item_type_id=item_type.id, category=StatusCategory.DONE.value
        )
    ).one()


# --- a public reply -------------------------------------------------------------


def test_public_reply_reaches_the_customer_once_with_threading(
    sink, mailed_ticket, agent
):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    reply(
        mailed_ticket,
        agent,
        "Please restart the pump.",
        files=[
            UploadedFile("pump log.txt", "text/plain", io.BytesIO(b"12:00 noise")),
            UploadedFile("photo.png", "image/png", io.BytesIO(png)),
        ],
    )
    row = outbox_row("public_reply")
    dispatch_outbox()
    dispatch_outbox()

    [mail] = received(sink, row)
    assert mail.rcpt_tos == [CUSTOMER]
    assert mail.mail_from == SUPPORT
    message = mail.message
    [to] = message["To"].addresses
    assert (to.display_name, to.addr_spec) == ("Ivan Petrov", CUSTOMER)
    [sender] = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Atrium Support", SUPPORT)
    assert f"[T-{mailed_ticket.id}]" in message["Subject"]
    assert header(message, "Message-ID") == row.message_id_header
    assert header(message, "In-Reply-To") == FIRST_ID
    assert header(message, "References").split() == [
        item_thread_id(mailed_ticket.id),
        FIRST_ID,
    ]
    assert message["X-Loop"] == SUPPORT
    assert "Auto-Submitted" not in message
    assert "Please restart the pump." in message.get_body(("plain",)).get_content()
    files = {
        part.get_filename(): part.get_payload(decode=True)
        for part in message.iter_attachments()
    }
    assert files == {"pump log.txt": b"12:00 noise", "photo.png": png}

    row = outbox_row("public_reply")
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, "")
    assert row.sent_at is not None and row.next_attempt_at is None


def test_reply_goes_out_from_the_mailbox_the_ticket_came_to(sink, ticket_type, agent):
    box = Mailbox(name="sales", address="Sales@Atrium-Desk.com", protocol="pipe")
    db.session.add(box)
    db.session.commit()
    item_id = ingest_mail(make_mail(), mailbox=box).item_id
    reply(db.session.get(Item, item_id), agent, "On its way.")
    row = outbox_row("public_reply")
    dispatch_outbox()

    [mail] = received(sink, row)
    assert mail.mail_from == "sales@atrium-desk.com"
    assert mail.message["From"].addresses[0].addr_spec == "sales@atrium-desk.com"


def test_reply_on_a_ticket_made_in_the_app_threads_on_the_item(
    sink, ticket_type, agent
):
    customer = factories.CustomerFactory(email="olga@aquaterra.ru", name="Olga")
    item = item_service.create_item(
        agent,
        kind="ticket",
        title="Filter",
        item_type_id=ticket_type.id,
        requester_id=customer.id,
    )
    reply(item, agent, "Which filter?")
    row = outbox_row("public_reply", "olga@aquaterra.ru")
    dispatch_outbox()

    [mail] = received(sink, row)
    assert header(mail.message, "In-Reply-To") == item_thread_id(item.id)
    assert header(mail.message, "References") == item_thread_id(item.id)


def test_the_customers_answer_to_our_mail_comes_back_to_the_item(
    sink, mailed_ticket, agent
):
    reply(mailed_ticket, agent, "Please restart the pump.")
    row = outbox_row("public_reply")
    dispatch_outbox()
    [mail] = received(sink, row)

    # A mail client answers with our Message-ID; the subject lost its token.
    answer = make_mail(
        subject="Re: pump",
        body="Restarted, still noisy.",
        message_id="<second@aquaterra.ru>",
        In_Reply_To=header(mail.message, "Message-ID"),
        References=f"{header(mail.message, 'References')} {row.message_id_header}",
    )
    assert ingest_mail(answer).item_id == mailed_ticket.id


def test_our_own_mail_delivered_back_to_us_is_dropped(sink, mailed_ticket, agent):
    reply(mailed_ticket, agent, "Please restart the pump.")
    row = outbox_row("public_reply")
    dispatch_outbox()
    [mail] = received(sink, row)
    messages = db.session.scalar(db.select(db.func.count(Message.id)))

    assert ingest_mail(mail.data).status == "ignored"
    assert db.session.scalar(db.select(db.func.count(Message.id))) == messages
    assert db.session.scalar(db.select(db.func.count(Item.id))) == 1


# --- automatic mails and languages ----------------------------------------------


def test_acknowledgement_is_marked_automatic(sink, mailed_ticket):
    row = outbox_row("received")
    dispatch_outbox()

    [mail] = received(sink, row)
    assert mail.rcpt_tos == [CUSTOMER]
    assert mail.message["Auto-Submitted"] == "auto-replied"
    assert f"[T-{mailed_ticket.id}]" in mail.message["Subject"]
    assert header(mail.message, "In-Reply-To") == FIRST_ID
    assert mail.message["X-Loop"] == SUPPORT


def test_resolved_notice_is_automatic_and_carries_the_resolution(
    sink, mailed_ticket, agent, ticket_type
):
    item_service.update_item(
        mailed_ticket.id,
        agent,
        {
            "status_id": resolved_status(ticket_type).id,
            "resolution": "We replaced the worn bearing.",
        },
    )
    row = outbox_row("resolved")
    dispatch_outbox()

    [mail] = received(sink, row)
    assert mail.rcpt_tos == [CUSTOMER]
    assert mail.message["Auto-Submitted"] == "auto-replied"
    assert f"[T-{mailed_ticket.id}]" in mail.message["Subject"]
    body = mail.message.get_body(("plain",)).get_content()
    assert "We replaced the worn bearing." in body


def _russian_templates() -> None:
    # The shipped defaults are not in translations/ru yet, so the Russian text
    # comes from templates as an admin edits them (per event and language).
    db.session.add_all(
        [
            EmailTemplate(
                event="resolved",
                language="ru",
                subject="[{{ item.number }}] Решено: {{ item.title }}",
                body="Здравствуйте, {{ recipient.name }}!\n\n{{ item.resolution }}",
            ),
            EmailTemplate(
                event="public_reply",
                language="ru",
                subject="Ответ: [{{ item.number }}] {{ item.title }}",
                body="{{ message.text }}\n\n-- \nСлужба поддержки",
            ),
        ]
    )
    db.session.commit()


def test_resolved_notice_is_in_the_customers_language(
    sink, mailed_ticket, agent, ticket_type
):
    _russian_templates()
    mailed_ticket.requester.language = "ru"
    db.session.commit()
    item_service.update_item(
        mailed_ticket.id,
        agent,
        {"status_id": resolved_status(ticket_type).id, "resolution": "Подшипник."},
    )
    row = outbox_row("resolved")
    assert row.language == "ru"
    dispatch_outbox()

    [mail] = received(sink, row)
    assert mail.message["Subject"] == f"[T-{mailed_ticket.id}] Решено: Pump is noisy"
    body = mail.message.get_body(("plain",)).get_content()
    assert "Здравствуйте, Ivan Petrov!" in body and "Подшипник." in body
    assert mail.message["Auto-Submitted"] == "auto-replied"


def test_shipped_resolved_notice_is_rendered_in_the_customers_locale(
    sink, mailed_ticket, agent, ticket_type
):
    """The shipped default, translated by the compiled ru catalog.

    translations/ru does not translate the e-mail templates yet; until it does,
    this checks the rendering and the row's language, not Russian words.
    """
    mailed_ticket.requester.language = "ru"
    db.session.commit()
    item_service.update_item(
        mailed_ticket.id,
        agent,
        {"status_id": resolved_status(ticket_type).id, "resolution": "Подшипник."},
    )
    row = outbox_row("resolved")
    dispatch_outbox()

    [mail] = received(sink, row)
    subject, _body = default_template("resolved", "ru")
    expected = (
        Environment()
        .from_string(subject)
        .render(item={"number": f"T-{mailed_ticket.id}", "title": "Pump is noisy"})
    )
    assert row.language == "ru"
    assert mail.message["Subject"] == expected
    with force_locale("ru"):
        marker = reply_marker()
    body = mail.message.get_body(("plain",)).get_content()
    assert body.startswith(marker) and "Подшипник." in body


def test_each_recipient_gets_the_reply_in_their_own_language(
    sink, mailed_ticket, agent
):
    _russian_templates()
    mailed_ticket.requester.language = "ru"
    follower = factories.CustomerFactory(
        email="olga@aquaterra.ru", name="Olga", language="en"
    )
    mailed_ticket.customer_followers.append(follower)
    db.session.commit()
    reply(mailed_ticket, agent, "Please restart the pump.")
    dispatch_outbox()

    russian, english = (
        outbox_row("public_reply"),
        outbox_row("public_reply", "olga@aquaterra.ru"),
    )
    [to_ivan] = received(sink, russian)
    [to_olga] = received(sink, english)
    assert to_ivan.rcpt_tos == [CUSTOMER] and to_olga.rcpt_tos == ["olga@aquaterra.ru"]
    assert to_ivan.message["Subject"].startswith("Ответ: [T-")
    assert "Служба поддержки" in to_ivan.message.get_body(("plain",)).get_content()
    assert to_olga.message["Subject"].startswith("Re: [T-")
    assert "Служба" not in to_olga.message.get_body(("plain",)).get_content()
    assert (russian.language, english.language) == ("ru", "en")


# --- never twice ----------------------------------------------------------------


def test_a_sent_row_is_never_sent_again(sink, mailed_ticket, agent):
    reply(mailed_ticket, agent, "Once only.")
    row = outbox_row("public_reply")
    assert send_outbound(row.id) == "sent"
    assert send_outbound(row.id) == "skipped"
    assert send_outbound_email(row.id) == {"status": "skipped"}
    dispatch_outbox()
    dispatch_outbox()

    assert len(received(sink, row)) == 1
    assert outbox_row("public_reply").attempts == 1


def test_two_dispatches_queue_one_job_and_send_one_mail(sink, mailed_ticket, agent):
    reply(mailed_ticket, agent, "Once only.")
    row = outbox_row("public_reply")
    dispatch_outbox()
    dispatch_outbox()

    assert len(received(sink, row)) == 1
    job_ids = db.session.scalars(
        db.select(JobRun.job_id).where(JobRun.job_id.like(f"mail-{row.id}-%"))
    ).all()
    assert job_ids == [f"mail-{row.id}-0"]


def test_a_row_another_worker_is_sending_is_left_alone_until_its_lease_ends(
    sink, mailed_ticket, agent
):
    reply(mailed_ticket, agent, "Once only.")
    row = outbox_row("public_reply")
    row.status, row.attempts = "sending", 1
    row.next_attempt_at = utcnow() + dt.timedelta(minutes=10)
    db.session.commit()
    assert send_outbound(row.id) == "skipped"
    dispatch_outbox()
    assert received(sink, row) == []

    # The other worker died: once its lease runs out the mail goes, once.
    row = outbox_row("public_reply")
    row.next_attempt_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    dispatch_outbox()
    dispatch_outbox()
    assert len(received(sink, row)) == 1
    assert outbox_row("public_reply").status == "sent"


# --- header injection -----------------------------------------------------------

HOSTILE = [
    "Pump\r\nBcc: evil@x.com",
    "=?UTF-8?Q?a=0ABcc:_evil@x.com?=",
    "=?UTF-8?Q?a=0D=0ABcc:_evil@x.com?=",
]


def _assert_single_recipient(sink: SmtpSink, mail: ReceivedMail, address: str) -> None:
    message = mail.message
    assert sink.messages == [mail]
    assert mail.rcpt_tos == [address]
    assert len(message.get_all("Subject")) == 1
    assert len(message.get_all("To")) == 1
    assert [a.addr_spec for a in message["To"].addresses] == [address]
    assert "Bcc" not in message and "Cc" not in message
    head = mail.data.split(b"\r\n\r\n", 1)[0].lower()
    assert not [line for line in head.split(b"\r\n") if line.startswith(b"bcc:")]
    # The hostile text did reach the header, as harmless text on one line.
    assert "Bcc: evil@x.com" in " ".join(message["Subject"].split())


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_title_and_name_cannot_add_recipients(
    sink, ticket_type, agent, hostile
):
    customer = factories.CustomerFactory(email="olga@aquaterra.ru", name="Olga")
    item = item_service.create_item(
        agent,
        kind="ticket",
        title="Pump",
        item_type_id=ticket_type.id,
        requester_id=customer.id,
    )
    # Straight into the rows: the outbox must hold even when validation did not.
    db.session.execute(db.update(Item).where(Item.id == item.id).values(title=hostile))
    db.session.execute(
        db.update(Customer).where(Customer.id == customer.id).values(name=hostile)
    )
    db.session.commit()
    reply(db.session.get(Item, item.id), agent, "Hello")
    row = outbox_row("public_reply", "olga@aquaterra.ru")
    dispatch_outbox()

    [mail] = received(sink, row)
    _assert_single_recipient(sink, mail, "olga@aquaterra.ru")
    assert outbox_row("public_reply", "olga@aquaterra.ru").status == "sent"


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_outbox_row_cannot_add_recipients(sink, hostile):
    row = OutboundEmail(
        message_id_header="<atrium.test-1@atrium-desk.com>",
        event="public_reply",
        to_address="olga@aquaterra.ru",
        to_name=hostile,
        subject=hostile,
        body_text="Hello",
        body_html="<p>Hello</p>",
        status="pending",
    )
    db.session.add(row)
    db.session.commit()
    assert send_outbound(row.id) == "sent"

    [mail] = received(sink, row)
    _assert_single_recipient(sink, mail, "olga@aquaterra.ru")


@pytest.mark.parametrize(
    "sender_name",
    ["=?UTF-8?Q?Ivan=3A_Bcc=3A_evil=40x.com?=", '"Ivan, Bcc: evil@x.com"'],
)
@pytest.mark.parametrize("subject", HOSTILE[1:])
def test_hostile_mail_subject_and_sender_name_cannot_add_recipients(
    sink, ticket_type, subject, sender_name
):
    raw = (
        f"From: {sender_name} <{CUSTOMER}>\r\nTo: {SUPPORT}\r\n"
        f"Subject: {subject}\r\nMessage-ID: {FIRST_ID}\r\n\r\nHello\r\n"
    ).encode()
    assert ingest_mail(raw).status == "stored"
    row = outbox_row("received")
    dispatch_outbox()

    [mail] = received(sink, row)
    _assert_single_recipient(sink, mail, CUSTOMER)
