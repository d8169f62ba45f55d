"""Messages and attachments: who may write what, sanitizing, storage, first response."""

from __future__ import annotations

import io

import pytest

from app.errors import (
    FileTooLargeError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
)
from app.extensions import db
from app.models import Attachment, Item, MessageKind, OutboundEmail
from app.services import items as item_service
from app.services import messages as message_service
from app.services.access import get_visible_attachment
from app.services.attachments import UploadedFile, clean_filename
from app.services.messages import MessageDraft
from app.services.storage import blob_path
from tests import factories


@pytest.fixture
def ticket(agent, ticket_type, make_customer_user):
    org = factories.OrganizationFactory(name="Aquaterra")
    user, customer = make_customer_user(org, email="ivan@aquaterra.ru")
    item = item_service.create_item(
        agent,
        kind="ticket",
        title="Pump is noisy",
        item_type_id=ticket_type.id,
        requester_id=customer.id,
    )
    item.customer_user = user
    return item


def _file(name: str, data: bytes, content_type: str = "text/plain") -> UploadedFile:
    return UploadedFile(
        filename=name, content_type=content_type, stream=io.BytesIO(data)
    )


def test_agent_reply_is_sanitized_and_sets_first_response(ticket, agent):
    assert ticket.first_response_at is None
    draft = MessageDraft(
        body_html='<p onclick="x()">Hi<script>alert(1)</script>'
        '<a href="javascript:alert(1)">link</a><img src="http://t/x.png"></p>'
    )
    message = message_service.post_message(ticket.id, agent, draft)
    assert "script" not in message.body_html
    assert "onclick" not in message.body_html
    assert "javascript" not in message.body_html
    assert "http://t/x.png" not in message.body_html
    assert message.body_text.startswith("Hi")
    item = db.session.get(Item, ticket.id)
    assert item.first_response_at == message.created_at
    assert item.version == ticket.version  # no edit conflict for someone editing


def test_internal_note_does_not_count_as_first_response(ticket, agent):
    message_service.post_message(
        ticket.id, agent, MessageDraft(body_text="Call him", kind="internal")
    )
    assert db.session.get(Item, ticket.id).first_response_at is None


def test_customer_reply_is_public_only_and_not_a_first_response(ticket):
    user = ticket.customer_user
    with pytest.raises(ForbiddenError):
        message_service.post_message(
            ticket.id, user, MessageDraft(body_text="psst", kind="internal")
        )
    message = message_service.post_message(
        ticket.id, user, MessageDraft(body_text="Still noisy")
    )
    assert message.author_customer_id is not None
    assert message.channel == "portal"
    assert db.session.get(Item, ticket.id).first_response_at is None


def test_customer_of_another_organization_gets_not_found(ticket, make_customer_user):
    other_org = factories.OrganizationFactory(name="Climatec")
    stranger, _customer = make_customer_user(other_org, email="ana@climatec.pt")
    with pytest.raises(NotFoundError):
        message_service.post_message(ticket.id, stranger, MessageDraft(body_text="hi"))


def test_customers_never_see_internal_notes(ticket, agent):
    message_service.post_message(
        ticket.id, agent, MessageDraft(body_text="secret", kind="internal")
    )
    message_service.post_message(ticket.id, agent, MessageDraft(body_text="hello"))
    as_customer = message_service.visible_messages(ticket, ticket.customer_user)
    as_agent = message_service.visible_messages(ticket, agent)
    assert [m.body_text for m in as_customer] == ["hello"]
    assert [m.body_text for m in as_agent] == ["secret", "hello"]


@pytest.mark.parametrize("body", ["", "   ", None])
def test_empty_message_is_refused(ticket, agent, body):
    with pytest.raises(InvalidInputError):
        message_service.post_message(ticket.id, agent, MessageDraft(body_text=body))


def test_nul_and_unknown_kind_are_refused(ticket, agent):
    with pytest.raises(InvalidInputError):
        message_service.post_message(ticket.id, agent, MessageDraft(body_text="a\x00b"))
    with pytest.raises(InvalidInputError):
        message_service.post_message(
            ticket.id, agent, MessageDraft(body_text="x", kind="secret")
        )


def test_attachment_stored_once_per_content(ticket, agent):
    draft = MessageDraft(
        body_text="two copies",
        files=[_file("a.txt", b"same bytes"), _file("b.txt", b"same bytes")],
    )
    message = message_service.post_message(ticket.id, agent, draft)
    first, second = message.attachments
    assert first.sha256 == second.sha256
    path = blob_path(first.sha256)
    assert path.read_bytes() == b"same bytes"
    assert path.name == first.sha256  # the stored name is generated, never given


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../app.py", "app.py"),
        ("..\\..\\boot.ini", "boot.ini"),
        (".htaccess", "htaccess"),
        ("x.php\u200b", "x.php"),
        ("a\x00b.txt", "ab.txt"),
        ("", "attachment"),
    ],
)
def test_file_names_are_cleaned(given, expected):
    assert clean_filename(given) == expected


def test_long_file_name_keeps_its_extension():
    name = clean_filename("x" * 300 + ".pdf")
    assert len(name) <= 200 and name.endswith(".pdf")


def test_attachment_over_the_limit_is_refused_and_nothing_is_kept(
    ticket, agent, app, monkeypatch
):
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 1000)
    draft = MessageDraft(body_text="big", files=[_file("big.bin", b"x" * 1001)])
    with pytest.raises(FileTooLargeError) as caught:
        message_service.post_message(ticket.id, agent, draft)
    assert caught.value.status_code == 413
    assert "big.bin" in str(caught.value.message)
    assert db.session.scalar(db.select(db.func.count(Attachment.id))) == 0
    assert message_service.visible_messages(ticket, agent) == []


def test_attachment_at_the_limit_is_accepted(ticket, agent, app, monkeypatch):
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 1000)
    draft = MessageDraft(body_text="ok", files=[_file("ok.bin", b"x" * 1000)])
    message = message_service.post_message(ticket.id, agent, draft)
    assert message.attachments[0].size == 1000


def test_attachment_on_internal_note_is_hidden_from_customers(ticket, agent):
    note = message_service.post_message(
        ticket.id,
        agent,
        MessageDraft(body_text="log", kind="internal", files=[_file("log.txt", b"l")]),
    )
    attachment_id = note.attachments[0].id
    assert get_visible_attachment(attachment_id, agent).id == attachment_id
    with pytest.raises(NotFoundError):
        get_visible_attachment(attachment_id, ticket.customer_user)


def test_attachment_follows_its_item_to_another_organization(ticket, agent):
    reply = message_service.post_message(
        ticket.id, agent, MessageDraft(body_text="see", files=[_file("a.txt", b"a")])
    )
    attachment_id = reply.attachments[0].id
    assert get_visible_attachment(attachment_id, ticket.customer_user)
    other = factories.OrganizationFactory(name="Elsewhere")
    item_service.update_item(
        ticket.id, agent, {"organization_id": other.id, "requester_id": None}
    )
    with pytest.raises(NotFoundError):
        get_visible_attachment(attachment_id, ticket.customer_user)


def test_public_reply_is_mailed_to_requester_with_files(ticket, agent):
    reply = message_service.post_message(
        ticket.id,
        agent,
        MessageDraft(body_text="Replace the filter", files=[_file("howto.txt", b"x")]),
    )
    mails = db.session.scalars(db.select(OutboundEmail)).all()
    assert [m.to_address for m in mails] == ["ivan@aquaterra.ru"]
    mail = mails[0]
    assert mail.event == "public_reply"
    assert f"[{ticket.number}]" in mail.subject
    assert "Replace the filter" in mail.body_text
    assert mail.attachment_ids == [reply.attachments[0].id]
    assert mail.automatic is False


def test_internal_note_is_never_mailed_to_customers(ticket, agent, make_user):
    follower = make_user("Agent", email="second@atrium-desk.com")
    item_service.follow_item(ticket.id, follower)
    message_service.post_message(
        ticket.id, agent, MessageDraft(body_text="internal only", kind="internal")
    )
    mails = db.session.scalars(db.select(OutboundEmail)).all()
    assert [m.to_address for m in mails] == ["second@atrium-desk.com"]
    assert mails[0].event == "new_message"


def test_follower_preferences_are_respected(ticket, agent, make_user):
    quiet = make_user("Agent", email="quiet@atrium-desk.com", notify_notes=False)
    item_service.follow_item(ticket.id, quiet)
    message_service.post_message(
        ticket.id, agent, MessageDraft(body_text="note", kind=MessageKind.INTERNAL)
    )
    assert db.session.scalar(db.select(db.func.count(OutboundEmail.id))) == 0
