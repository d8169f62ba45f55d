"""The conversation on the item page, uploads and downloads, and the REST resources."""

from __future__ import annotations

import io
from html.parser import HTMLParser

import pytest

from app.extensions import db
from app.models import Attachment, Message, OutboundEmail
from app.services import messages as message_service
from app.services.attachments import UploadedFile
from app.services.messages import MessageDraft


def _upload(world, name: str, data: bytes, content_type: str, *, kind="public"):
    message = message_service.post_message(
        world.ticket_a.id,
        world.admin,
        MessageDraft(
            body_text="file",
            kind=kind,
            files=[UploadedFile(name, content_type, io.BytesIO(data))],
        ),
    )
    return message.attachments[0]


class _Attributes(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.bad: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on") or "javascript:" in (value or "").lower():
                self.bad.append(f"{tag} {name}={value}")


def test_agent_replies_from_the_item_page(client, world, sign_in):
    sign_in(world.admin)
    response = client.post(
        f"/conversation/{world.ticket_a.id}/reply",
        data={
            "body_html": "<p>Please <b>restart</b> it<img src=x onerror=alert(1)></p>",
            "body_text": "",
            "kind": "public",
            "files": (io.BytesIO(b"log line"), "pump.log"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/tickets/show/{world.ticket_a.id}#conversation")
    message = db.session.scalars(db.select(Message)).one()
    assert "<b>restart</b>" in message.body_html and "onerror" not in message.body_html
    assert [a.filename for a in message.attachments] == ["pump.log"]
    assert (
        db.session.scalar(
            db.select(OutboundEmail.to_address).where(
                OutboundEmail.event == "public_reply"
            )
        )
        == "ivan@aquaterra.ru"
    )
    page = client.get(f"/tickets/show/{world.ticket_a.id}").get_data(as_text=True)
    assert "pump.log" in page and "<b>restart</b>" in page
    checker = _Attributes()
    checker.feed(page)
    assert checker.bad == []


def test_internal_note_from_the_page_is_marked(client, world, sign_in):
    sign_in(world.admin)
    client.post(
        f"/conversation/{world.ticket_a.id}/reply",
        data={"body_text": "Call him back", "kind": "internal"},
    )
    page = client.get(f"/tickets/show/{world.ticket_a.id}").get_data(as_text=True)
    assert "Call him back" in page and "atrium-message-internal" in page


def test_empty_reply_is_refused_with_a_message(client, world, sign_in):
    sign_in(world.admin)
    response = client.post(
        f"/conversation/{world.ticket_a.id}/reply",
        data={"body_text": "  ", "kind": "public"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Write a message or attach a file." in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Message.id))) == 0


def test_reply_without_csrf_token_is_refused(client, world, sign_in, app, monkeypatch):
    sign_in(world.admin)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post(
        f"/conversation/{world.ticket_a.id}/reply", data={"body_text": "hi"}
    )
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count(Message.id))) == 0


def test_customer_cannot_use_the_agent_reply_box(client, world, sign_in):
    sign_in(world.user_a)
    response = client.post(
        f"/conversation/{world.ticket_a.id}/reply", data={"body_text": "hi"}
    )
    assert response.status_code in (302, 403)
    assert db.session.scalar(db.select(db.func.count(Message.id))) == 0


def test_upload_over_the_limit_answers_413_with_a_message(
    client, world, sign_in, app, monkeypatch
):
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 2000)
    sign_in(world.admin)
    response = client.post(
        f"/conversation/{world.ticket_a.id}/files",
        data={"files": (io.BytesIO(b"x" * 2001), "big.bin")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "big.bin" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Attachment.id))) == 0


def test_request_over_max_content_length_answers_413(
    client, world, sign_in, app, monkeypatch
):
    sign_in(world.admin)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    response = client.post(
        f"/conversation/{world.ticket_a.id}/files",
        data={"files": (io.BytesIO(b"x" * 5000), "big.bin")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("name", "data", "content_type", "disposition"),
    [
        ("x.html", b"<script>alert(1)</script>", "text/html", "attachment"),
        ("x.svg", b'<svg onload="alert(1)"/>', "image/svg+xml", "attachment"),
        ("fake.png", b"<html><script>alert(1)</script>", "image/png", "attachment"),
        ("real.png", b"\x89PNG\r\n\x1a\n0000", "image/png", "inline"),
    ],
)
def test_downloads_never_run_active_content(
    client, world, sign_in, name, data, content_type, disposition
):
    attachment = _upload(world, name, data, content_type)
    sign_in(world.admin)
    with client.get(f"/conversation/attachment/{attachment.id}") as response:
        response.get_data()
    assert response.status_code == 200
    assert response.data == data
    assert response.headers["Content-Disposition"].startswith(disposition)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.mimetype == content_type


def test_download_name_is_rfc6266_encoded(client, world, sign_in):
    attachment = _upload(world, 'отчёт "2024".pdf', b"%PDF", "application/pdf")
    sign_in(world.admin)
    with client.get(f"/conversation/attachment/{attachment.id}") as response:
        header = response.headers["Content-Disposition"]
    assert "filename*=UTF-8''" in header
    assert "\n" not in header and "\r" not in header


def test_other_organizations_attachment_is_404(client, world, sign_in):
    attachment = _upload(world, "a.txt", b"secret", "text/plain")
    sign_in(world.user_b)
    assert client.get(f"/api/v1/attachment/{attachment.id}/download").status_code == 404
    assert client.get(f"/api/v1/attachment/{attachment.id}").status_code == 404
    sign_in(world.user_a)
    with client.get(f"/api/v1/attachment/{attachment.id}/download") as response:
        assert response.status_code == 200 and response.get_data() == b"secret"


def test_note_attachment_is_404_for_the_customer(client, world, sign_in):
    attachment = _upload(world, "n.txt", b"note", "text/plain", kind="internal")
    sign_in(world.user_a)
    assert client.get(f"/api/v1/attachment/{attachment.id}/download").status_code == 404


def test_message_api_hides_notes_from_customers(client, world, sign_in):
    for kind, text in (("public", "visible"), ("internal", "hidden")):
        message_service.post_message(
            world.ticket_a.id, world.admin, MessageDraft(body_text=text, kind=kind)
        )
    message_service.post_message(
        world.ticket_b.id, world.admin, MessageDraft(body_text="other org")
    )
    sign_in(world.user_a)
    rows = client.get("/api/v1/message/").get_json()["result"]
    assert [r["body_text"] for r in rows] == ["visible"]
    sign_in(world.admin)
    rows = client.get("/api/v1/message/").get_json()["result"]
    assert {r["body_text"] for r in rows} == {"visible", "hidden", "other org"}


def test_customer_posts_a_reply_by_api_and_cannot_post_notes(client, world, sign_in):
    sign_in(world.user_a)
    response = client.post(
        "/api/v1/message/",
        json={"item_id": world.ticket_a.id, "body_html": "<p>thanks<script>x</script>"},
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["result"]["body_html"] == "<p>thanks</p>"
    response = client.post(
        "/api/v1/message/",
        json={"item_id": world.ticket_a.id, "body_text": "psst", "kind": "internal"},
    )
    assert response.status_code == 403
    response = client.post(
        "/api/v1/message/", json={"item_id": world.ticket_b.id, "body_text": "hi"}
    )
    assert response.status_code == 404
    assert db.session.scalar(db.select(db.func.count(Message.id))) == 1


def test_message_api_accepts_multipart_with_files(client, world, sign_in):
    sign_in(world.admin)
    response = client.post(
        "/api/v1/message/",
        data={
            "item_id": str(world.ticket_a.id),
            "body_text": "see file",
            "files": (io.BytesIO(b"data"), "d.txt"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["result"]["attachments"][0]["filename"] == "d.txt"


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"item_id": "1"},
        {"item_id": None, "body_text": "x"},
        {"item_id": [1], "body_text": "x"},
        {"item_id": 999999, "body_text": "x"},
        {"item_id": 1, "body_text": "x" * 1_000_001},
        {"item_id": 1, "body_text": "a\x00b"},
        {"item_id": 1, "kind": "secret", "body_text": "x"},
    ],
)
def test_message_api_refuses_junk_with_4xx(client, world, sign_in, payload):
    sign_in(world.admin)
    response = client.post("/api/v1/message/", json=payload)
    assert 400 <= response.status_code < 500
    assert db.session.scalar(db.select(db.func.count(Message.id))) == 0


def test_attachment_api_upload_is_staff_only(client, world, sign_in):
    sign_in(world.admin)
    response = client.post(
        "/api/v1/attachment/",
        data={"item_id": str(world.ticket_a.id), "files": (io.BytesIO(b"a"), "a.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201
    sign_in(world.user_a)
    response = client.post(
        "/api/v1/attachment/",
        data={"item_id": str(world.ticket_a.id), "files": (io.BytesIO(b"a"), "b.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code in (403, 405)
    assert db.session.scalar(db.select(db.func.count(Attachment.id))) == 1


def test_messages_and_attachments_cannot_be_edited_or_deleted(client, world, sign_in):
    message = message_service.post_message(
        world.ticket_a.id, world.admin, MessageDraft(body_text="fixed")
    )
    sign_in(world.admin)
    assert client.put(f"/api/v1/message/{message.id}", json={}).status_code in (
        404,
        405,
    )
    assert client.delete(f"/api/v1/message/{message.id}").status_code in (404, 405)
    assert db.session.get(Message, message.id).body_text == "fixed"


def test_message_api_filters_by_item(client, world, sign_in):
    for ticket in (world.ticket_a, world.ticket_a2):
        message_service.post_message(
            ticket.id, world.admin, MessageDraft(body_text=ticket.title)
        )
    sign_in(world.admin)
    query = f"(filters:!((col:item_id,opr:eq,value:{world.ticket_a2.id})))"
    rows = client.get(f"/api/v1/message/?q={query}").get_json()["result"]
    assert [r["body_text"] for r in rows] == ["Lamp flickers"]


def _post_many(world, count: int) -> None:
    authors = (world.admin, world.user_a)
    for n in range(count):
        message_service.post_message(
            world.ticket_a.id,
            authors[n % 2],
            MessageDraft(
                body_text=f"message {n}",
                files=[UploadedFile(f"f{n}.txt", "text/plain", io.BytesIO(b"x"))],
            ),
        )


@pytest.mark.parametrize("path", ["show", "api"])
def test_conversation_query_count_does_not_grow(app, client, world, sign_in, path):
    from tests.views.test_item_screens import _count_queries

    item_id = world.ticket_a.id
    url = (
        f"/tickets/show/{item_id}"
        if path == "show"
        else f"/api/v1/message/?q=(filters:!((col:item_id,opr:eq,value:{item_id})))"
    )
    sign_in(world.admin)
    _post_many(world, 2)
    client.get(url)
    small = _count_queries(app, lambda: client.get(url))
    _post_many(world, 30)
    large = _count_queries(app, lambda: client.get(url))
    assert large <= small + 1, (small, large)


def test_fifty_parallel_replies_stay_consistent(app, world):
    import threading

    from app.models import Item

    barrier = threading.Barrier(5)
    errors: list[BaseException] = []
    item_id, admin_id = world.ticket_a.id, world.admin.id

    def reply(worker: int) -> None:
        with app.app_context():
            from app.models import AtriumUser

            admin = db.session.get(AtriumUser, admin_id)
            barrier.wait()
            try:
                for n in range(10):
                    message_service.post_message(
                        item_id, admin, MessageDraft(body_text=f"{worker}-{n}")
                    )
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            db.session.remove()

    threads = [threading.Thread(target=reply, args=(w,)) for w in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.expire_all()
    messages = db.session.scalars(
        db.select(Message).where(Message.item_id == item_id)
    ).all()
    assert len(messages) == 50
    item = db.session.get(Item, item_id)
    assert item.updated_at == max(m.created_at for m in messages)
    assert item.first_response_at == min(m.created_at for m in messages)
