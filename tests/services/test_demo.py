"""Demo data: the case studies' world, idempotence, the portal account, bulk, CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from app.errors import InvalidInputError
from app.extensions import db
from app.models import (
    AtriumUser,
    Customer,
    Item,
    ItemEvent,
    ItemType,
    Message,
    Organization,
    OutboundEmail,
    Portfolio,
    Project,
    Status,
    Team,
    team_member,
)
from app.services import demo
from app.services.demo import seed_bulk_items, seed_demo

PASSWORD = "demo-password-for-tests"


def _count(model, *conditions) -> int:
    query = select(func.count()).select_from(model)
    return db.session.scalar(query.where(*conditions) if conditions else query)


def _items_outside_their_workflow() -> int:
    query = (
        select(func.count(Item.id))
        .join(Status, Status.id == Item.status_id)
        .join(ItemType, ItemType.id == Item.item_type_id)
        .where(
            (Status.item_type_id != Item.item_type_id) | (ItemType.kind != Item.kind)
        )
    )
    return db.session.scalar(query)


def _items_without_created_event() -> int:
    created = select(ItemEvent.id).where(
        ItemEvent.item_id == Item.id, ItemEvent.kind == "created"
    )
    return db.session.scalar(select(func.count(Item.id)).where(~created.exists()))


def _type(name: str) -> ItemType:
    return db.session.scalar(select(ItemType).filter_by(name=name))


def test_seed_demo_builds_the_case_studies_world_once():
    counts = seed_demo(password=PASSWORD)

    assert counts["skipped"] is False
    assert counts["items"] >= 300
    assert counts["organizations"] >= 10
    olimp = db.session.scalar(select(Organization).filter_by(name="Olimp"))
    assert olimp.domain_names == "olimp.example"
    assert olimp.default_team.name == "IT desk"
    languages = set(db.session.scalars(select(Customer.language).distinct()))
    assert {"ru", "it", "pt", "nb", "en"} <= languages
    assert _count(Customer, Customer.organization_id.is_(None)) == 0

    question, problem = _type("Question"), _type("Problem")
    assert {_type(n).kind for n in ("Wish", "Remark")} == {"ticket"}
    assert {_type(n).kind for n in ("Task", "Bug", "Feature")} == {"task"}
    assert (question.icon, _type("Wish").icon) == (
        "fa-question-circle",
        "fa-lightbulb-o",
    )
    assert [s.name for s in problem.statuses][2] == "Waiting for parts"
    assert [s.name for s in problem.statuses] != [s.name for s in question.statuses]

    lab = db.session.scalar(select(Team).filter_by(name="Repair lab"))
    assert {user.username for user in lab.members} == {"marco", "giulia"}
    assert _count(Project, Project.organization_id.is_not(None)) >= 5
    assert _count(Project, Project.archived.is_(True)) == 1
    assert _count(Portfolio, Portfolio.parent_id.is_not(None)) >= 4

    assert _items_outside_their_workflow() == 0
    assert _items_without_created_event() == 0
    priorities = set(db.session.scalars(select(Item.priority).distinct()))
    assert priorities == {1, 2, 3, 4, 5}
    categories = set(
        db.session.scalars(
            select(Status.category).join(Item, Item.status_id == Status.id).distinct()
        )
    )
    assert categories == {"new", "open", "waiting", "done", "closed"}
    history = set(db.session.scalars(select(ItemEvent.kind).distinct()))
    assert {"created", "status", "assignee", "team", "followed"} <= history
    assert _count(Item, Item.assignee_id.is_not(None), Item.project_id.is_not(None))
    assert _count(Item, Item.channel == "portal") > 0
    assert _count(Item, Item.created_at > Item.updated_at) == 0

    # Tickets are conversations: the customer's first mail, often an agent's reply,
    # in the order they happened; demo customers are never mailed.
    assert counts["messages"] > counts["items"] / 2
    assert _count(Message, Message.author_user_id.is_not(None)) > 0
    before_item = db.session.scalar(
        select(func.count(Message.id))
        .join(Item, Item.id == Message.item_id)
        .where(Message.created_at < Item.created_at)
    )
    assert before_item == 0
    assert _count(OutboundEmail) == 0

    assert seed_demo(password="another-password") == {"skipped": True}
    assert _count(Item) == counts["items"]


def test_the_demo_users_sign_in_with_the_demo_password(client):
    seed_demo(password=PASSWORD, items=3)
    account = aliased(AtriumUser)
    customer = db.session.scalar(
        select(Customer)
        .join(account, Customer.user_id == account.id)
        .where(account.username == "customer")
    )
    assert customer.organization.name == "Maple Aquatics Ltd"
    assert {role.name for role in customer.user.roles} == {"Customer"}

    wrong = client.post("/login/", data={"username": "customer", "password": "nope"})
    assert "/login/" in wrong.headers["Location"]
    for username in ("customer", "manager", "agent"):
        client.get("/logout/")
        response = client.post(
            "/login/", data={"username": username, "password": PASSWORD}
        )
        assert response.status_code == 302
        assert "/login/" not in response.headers["Location"], username


def test_seed_bulk_items_adds_exactly_that_many_valid_items():
    seed_demo(password=PASSWORD, items=5)
    before = _count(Item)

    assert seed_bulk_items(2000, batch=700) == 2000

    assert _count(Item) == before + 2000
    assert _items_outside_their_workflow() == 0
    assert _items_without_created_event() == 0
    assert _count(ItemEvent, ItemEvent.kind == "created") == before + 2000
    requester = aliased(Customer)
    assert not db.session.scalar(
        select(func.count(Item.id))
        .join(requester, requester.id == Item.requester_id)
        .where(requester.organization_id != Item.organization_id)
    )
    in_team = select(team_member.c.user_id).where(
        team_member.c.team_id == Item.team_id,
        team_member.c.user_id == Item.assignee_id,
    )
    assert not _count(Item, Item.assignee_id.is_not(None), ~in_team.exists())
    event = db.session.scalar(select(ItemEvent).order_by(ItemEvent.id.desc()).limit(1))
    assert event.data["number"] == event.item.number


def test_seed_bulk_items_needs_the_demo_world_first():
    with pytest.raises(InvalidInputError):
        seed_bulk_items(10)


@pytest.fixture
def run_seed_demo(app, monkeypatch):
    """Invoke `flask seed-demo`; the demo world gets 12 items to stay fast."""
    real = demo.create_demo_items
    monkeypatch.setattr(demo, "create_demo_items", lambda w, _n, rng: real(w, 12, rng))
    runner = app.test_cli_runner()

    def _run(*args: str) -> str:
        result = runner.invoke(args=["seed-demo", *args])
        assert result.exit_code == 0, result.output
        return result.output

    return _run


def test_seed_demo_command_if_empty(app, run_seed_demo, monkeypatch):
    monkeypatch.setitem(app.config, "DEMO_PASSWORD", "")
    monkeypatch.setitem(app.config, "DEMO_DATA", False)
    assert "DEMO_DATA is off" in run_seed_demo("--if-empty")
    assert _count(Item) == 0

    monkeypatch.setitem(app.config, "DEMO_DATA", True)
    output = run_seed_demo("--if-empty")
    secret_file = Path(app.instance_path) / "demo-password"
    password = secret_file.read_text().strip()
    assert secret_file.stat().st_mode & 0o777 == 0o600
    assert password in output
    assert "12 items" in output
    secret_file.unlink()

    assert "already has items" in run_seed_demo("--if-empty", "--items", "50")
    assert _count(Item) == 12
    output = run_seed_demo("--items", "50")
    assert "Added 50 items" in output
    assert _count(Item) == 62
