"""Mail configuration screens: mailboxes, templates with preview, settings, logs."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import EmailTemplate, Mailbox
from app.services import settings as setting_service
from app.services.email_templates import (
    ensure_default_templates,
    render_email,
    sample_context,
)
from app.services.secrets import decrypt_secret

MAIL_SCREENS = [
    "/mailboxmodelview/list/",
    "/emailtemplatemodelview/list/",
    "/settings/mail/form",
    "/outboundemailmodelview/list/",
    "/inboundmailmodelview/list/",
]


@pytest.mark.parametrize("url", MAIL_SCREENS)
def test_mail_screens_are_for_admins_only(client, login, url):
    login("Admin", username="root")
    assert client.get(url).status_code == 200
    for role in ("Manager", "Agent", "Customer"):
        client.get("/logout/")
        login(role, username=f"{role.lower()}-{url.count('/')}")
        response = client.get(url)
        assert response.status_code in (302, 403), (role, url)


def _mailbox_form(**changes):
    data = {
        "name": "Support",
        "address": "support@atrium-desk.com",
        "protocol": "imap",
        "host": "imap.atrium-desk.com",
        "port": "993",
        "security": "ssl",
        "username": "support",
        "password": "s3cret-mail-pass",
        "folder": "INBOX",
        "enabled": "y",
    }
    data.update(changes)
    return data


def test_mailbox_password_is_stored_encrypted_and_never_shown(client, login):
    login("Admin")
    response = client.post("/mailboxmodelview/add", data=_mailbox_form())
    assert response.status_code == 302
    mailbox = db.session.scalars(db.select(Mailbox)).one()
    assert "s3cret-mail-pass" not in mailbox.password_encrypted
    assert decrypt_secret(mailbox.password_encrypted) == "s3cret-mail-pass"
    for url in (
        f"/mailboxmodelview/show/{mailbox.id}",
        f"/mailboxmodelview/edit/{mailbox.id}",
        "/mailboxmodelview/list/",
    ):
        page = client.get(url).get_data(as_text=True)
        assert "s3cret-mail-pass" not in page
        assert mailbox.password_encrypted not in page
    # Saving without typing a password keeps the stored one.
    client.post(f"/mailboxmodelview/edit/{mailbox.id}", data=_mailbox_form(password=""))
    db.session.expire_all()
    assert decrypt_secret(db.session.get(Mailbox, mailbox.id).password_encrypted) == (
        "s3cret-mail-pass"
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"address": "not an address"},
        {"host": "bad host/with slash"},
        {"protocol": "smtp"},
        {"port": "70000"},
        {"name": ""},
    ],
)
def test_bad_mailbox_settings_are_refused(client, login, changes):
    login("Admin")
    client.post("/mailboxmodelview/add", data=_mailbox_form(**changes))
    assert db.session.scalar(db.select(db.func.count(Mailbox.id))) == 0


def test_templates_exist_for_every_event_and_language(app):
    created = ensure_default_templates()
    assert created == 7 * len(app.config["LANGUAGES"])
    assert ensure_default_templates() == 0
    russian = db.session.scalars(
        db.select(EmailTemplate).filter_by(event="received", language="ru")
    ).one()
    english = db.session.scalars(
        db.select(EmailTemplate).filter_by(event="received", language="en")
    ).one()
    assert russian.body != english.body  # really translated, not a copy


def test_template_show_page_has_a_preview(client, login):
    ensure_default_templates()
    template = db.session.scalars(
        db.select(EmailTemplate).filter_by(event="resolved", language="en")
    ).one()
    login("Admin")
    page = client.get(f"/emailtemplatemodelview/show/{template.id}").get_data(
        as_text=True
    )
    assert "T-1042" in page and "We replaced the fuser unit." in page


def test_broken_template_is_refused_on_save(client, login):
    ensure_default_templates()
    template = db.session.scalars(
        db.select(EmailTemplate).filter_by(event="received", language="en")
    ).one()
    login("Admin")
    client.post(
        f"/emailtemplatemodelview/edit/{template.id}",
        data={"subject": "Hi {{ item.number", "body": "x"},
    )
    db.session.expire_all()
    assert db.session.get(EmailTemplate, template.id).subject.startswith("[")


@pytest.mark.parametrize(
    "body",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ item.__class__ }}",
        "{{ 'x' * 100000000 }}",
        "{{ 9 ** 999999 }}",
        "{% for i in range(100000000) %}x{% endfor %}",
    ],
)
def test_sandbox_refuses_dangerous_templates(app, body):
    from app.errors import InvalidInputError
    from app.services.email_templates import check_template

    template = EmailTemplate(event="received", language="en", subject="s", body=body)
    with pytest.raises(InvalidInputError):
        check_template(template)


def test_a_broken_stored_template_falls_back_to_the_default(app):
    db.session.add(
        EmailTemplate(
            event="received", language="en", subject="{{ boom(", body="{{ nope("
        )
    )
    db.session.commit()
    subject, body = render_email("received", "en", sample_context("en"))
    assert "T-1042" in subject and "T-1042" in body


def test_mail_settings_form_saves_and_validates(client, login):
    login("Admin")
    response = client.post(
        "/settings/mail/form",
        data={"never_follow": "Boss@Example.com\n@noise.com\n", "auto_reply_cap": "4"},
    )
    assert response.status_code in (200, 302)
    assert setting_service.get_setting(setting_service.MAIL_NEVER_FOLLOW) == [
        "boss@example.com",
        "@noise.com",
    ]
    assert setting_service.get_setting(setting_service.MAIL_AUTO_REPLY_CAP) == 4
    client.post(
        "/settings/mail/form",
        data={"never_follow": "no at sign", "auto_reply_cap": "4"},
    )
    assert setting_service.get_setting(setting_service.MAIL_NEVER_FOLLOW) == [
        "boss@example.com",
        "@noise.com",
    ]
    client.post(
        "/settings/mail/form", data={"never_follow": "", "auto_reply_cap": "-1"}
    )
    assert setting_service.get_setting(setting_service.MAIL_AUTO_REPLY_CAP) == 4


def test_notification_preferences_on_my_profile(client, login):
    user = login("Agent")
    client.post(
        "/atriumuserinfoeditview/form",
        data={
            "first_name": "Anna",
            "last_name": "Agent",
            "notify_replies": "y",
            "notify_assignment": "y",
        },
    )
    db.session.expire_all()
    assert (user.notify_replies, user.notify_notes) == (True, False)
    assert (user.notify_assignment, user.notify_status) == (True, False)


def test_job_names_are_shown_translated(app):
    from flask_babel import force_locale

    from app.views.jobs import job_label

    call = ("app.jobs.mail.send_outbound_email", "send_outbound_email", [5])
    with force_locale("en"):
        assert job_label(call) == "Send e-mail #5"
    with force_locale("ru"):
        russian = job_label(call)
    assert russian.endswith("#5") and russian != "Send e-mail #5"
    assert job_label(("app.jobs.mail.poll_mailbox", "Nightly import", [])) == (
        "Nightly import"
    )


def test_stored_mail_reasons_are_shown_translated(app):
    from flask_babel import force_locale

    from app.views.mail import mail_reason

    with force_locale("ru"):
        assert mail_reason("the mail has no sender address") == (
            "В письме нет адреса отправителя."
        )
        assert mail_reason("x-loop") != "x-loop"
        assert mail_reason("message is larger than 5 bytes") == (
            "message is larger than 5 bytes"
        )
    assert mail_reason("") == ""
