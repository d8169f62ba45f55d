"""Who is told what by mail: assignment, status changes, resolution, preferences."""

from __future__ import annotations

from app.extensions import db
from app.models import OutboundEmail, Status
from app.services import items as item_service
from app.services import notifications


def mails(event: str | None = None) -> list[OutboundEmail]:
    query = db.select(OutboundEmail).order_by(OutboundEmail.id)
    if event:
        query = query.where(OutboundEmail.event == event)
    return list(db.session.scalars(query))


def status_of(ticket_type, category: str) -> Status:
    return next(s for s in ticket_type.statuses if s.category == category)


def test_agent_created_ticket_is_not_acknowledged(ticket):
    assert mails() == []


def test_portal_ticket_is_acknowledged_in_the_customers_language(
    ticket_type, make_customer_user
):
    user, customer = make_customer_user(email="olga@aquaterra.ru")
    customer.language = "ru"
    db.session.commit()
    item_service.create_item(
        user, kind="ticket", title="Нет воды", item_type_id=ticket_type.id
    )
    (ack,) = mails("received")
    assert ack.to_address == "olga@aquaterra.ru"
    assert ack.language == "ru" and ack.automatic is True
    assert "Нет воды" in ack.body_text


def test_assignment_tells_the_new_assignee_but_not_oneself(ticket, agent, make_user):
    colleague = make_user("Agent", email="piotr@atrium-desk.com")
    item_service.assign_item(ticket.id, agent, assignee_id=colleague.id, team_id=None)
    (mail,) = mails("assigned")
    assert mail.to_address == "piotr@atrium-desk.com"
    item_service.assign_item(ticket.id, agent, assignee_id=agent.id, team_id=None)
    assert len(mails("assigned")) == 1


def test_assignment_respects_the_preference(ticket, agent, make_user):
    colleague = make_user("Agent", notify_assignment=False)
    item_service.assign_item(ticket.id, agent, assignee_id=colleague.id, team_id=None)
    assert mails("assigned") == []


def test_status_change_tells_followers_and_assignee(
    ticket, agent, make_user, ticket_type
):
    follower = make_user("Agent", email="f@atrium-desk.com")
    quiet = make_user("Agent", email="q@atrium-desk.com", notify_status=False)
    for person in (follower, quiet):
        item_service.follow_item(ticket.id, person)
    item_service.change_status(ticket.id, status_of(ticket_type, "open").id, agent)
    assert [m.to_address for m in mails("status_changed")] == ["f@atrium-desk.com"]
    assert mails("resolved") == []


def test_resolution_is_mailed_once_to_the_requester(ticket, agent, ticket_type):
    done = status_of(ticket_type, "done")
    item_service.update_item(
        ticket.id, agent, {"status_id": done.id, "resolution": "New impeller fitted."}
    )
    (mail,) = mails("resolved")
    assert mail.to_address == "ivan@aquaterra.ru"
    assert "New impeller fitted." in mail.body_text
    closed = status_of(ticket_type, "closed")
    item_service.change_status(ticket.id, closed.id, agent)
    assert len(mails("resolved")) == 1  # already resolved: no second notice


def test_muted_block_sends_nothing(ticket_type, make_customer_user):
    user, _customer = make_customer_user()
    with notifications.muted():
        item_service.create_item(
            user, kind="ticket", title="quiet", item_type_id=ticket_type.id
        )
    assert mails() == []


def test_inactive_followers_get_no_mail(ticket, agent, make_user, ticket_type):
    gone = make_user("Agent")
    item_service.follow_item(ticket.id, gone)
    gone.active = False
    db.session.commit()
    item_service.change_status(ticket.id, status_of(ticket_type, "open").id, agent)
    assert mails("status_changed") == []
