"""Who sees which items, customers and organizations."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.errors import InvalidInputError, NotFoundError
from app.extensions import db
from app.models import Customer, Item, Organization
from app.services.access import (
    customer_of,
    customer_scope,
    get_visible_item,
    item_scope,
    organization_scope,
)
from app.services.items import create_item
from app.services.settings import (
    PORTAL_VISIBILITY,
    PortalVisibility,
    get_setting,
    portal_visibility,
    set_setting,
)
from tests.factories import CustomerFactory, OrganizationFactory


def _visible_items(user) -> set[int]:
    return set(db.session.scalars(db.select(Item.id).where(item_scope(user))))


def _visible_customers(user) -> set[int]:
    return set(db.session.scalars(db.select(Customer.id).where(customer_scope(user))))


def _visible_organizations(user) -> set[int]:
    return set(
        db.session.scalars(db.select(Organization.id).where(organization_scope(user)))
    )


@pytest.fixture
def world(agent, ticket_type, task_type, make_customer_user):
    """Two organizations, their customers and items, and one item of nobody."""
    org_a = OrganizationFactory(name="Aquaterra")
    org_b = OrganizationFactory(name="Climatec")
    user_a, customer_a = make_customer_user(organization=org_a)
    colleague = CustomerFactory(organization=org_a)
    user_b, customer_b = make_customer_user(organization=org_b)
    user_loner, loner = make_customer_user()

    def ticket(title: str, requester: Customer | None) -> int:
        return create_item(
            agent,
            kind="ticket",
            title=title,
            item_type_id=ticket_type.id,
            requester_id=requester.id if requester else None,
        ).id

    return SimpleNamespace(
        org_a=org_a,
        org_b=org_b,
        user_a=user_a,
        customer_a=customer_a,
        colleague=colleague,
        user_b=user_b,
        customer_b=customer_b,
        user_loner=user_loner,
        loner=loner,
        own_a=ticket("Mine", customer_a),
        colleague_a=ticket("My colleague's", colleague),
        own_b=ticket("Other company", customer_b),
        loner_item=ticket("Loner", loner),
        nobody=create_item(
            agent, kind="task", title="Internal", item_type_id=task_type.id
        ).id,
    )


def _all_items(world) -> set[int]:
    return {
        world.own_a,
        world.colleague_a,
        world.own_b,
        world.loner_item,
        world.nobody,
    }


# --- settings ---------------------------------------------------------------------


def test_portal_visibility_defaults_to_organization():
    assert get_setting(PORTAL_VISIBILITY) == "organization"
    assert portal_visibility() is PortalVisibility.ORGANIZATION


@pytest.mark.parametrize("value", ["own", "organization", "all"])
def test_set_setting_stores_an_allowed_value(value):
    set_setting(PORTAL_VISIBILITY, value)
    db.session.expire_all()
    assert portal_visibility() == PortalVisibility(value)


@pytest.mark.parametrize(
    ("key", "value"),
    [(PORTAL_VISIBILITY, "everyone"), (PORTAL_VISIBILITY, None), ("no_such", "own")],
)
def test_set_setting_refuses_unknown_keys_and_values(key, value):
    with pytest.raises(InvalidInputError) as excinfo:
        set_setting(key, value)
    assert excinfo.value.field == key
    assert portal_visibility() is PortalVisibility.ORGANIZATION


# --- item_scope -------------------------------------------------------------------


def test_customer_sees_only_own_items_under_own(world):
    set_setting(PORTAL_VISIBILITY, "own")
    assert _visible_items(world.user_a) == {world.own_a}
    assert _visible_items(world.user_b) == {world.own_b}
    assert _visible_items(world.user_loner) == {world.loner_item}


def test_customer_sees_the_organization_items_under_organization(world):
    set_setting(PORTAL_VISIBILITY, "organization")
    assert _visible_items(world.user_a) == {world.own_a, world.colleague_a}
    assert _visible_items(world.user_b) == {world.own_b}


def test_customer_without_organization_sees_own_items_under_organization(world):
    set_setting(PORTAL_VISIBILITY, "organization")
    assert _visible_items(world.user_loner) == {world.loner_item}


def test_the_default_visibility_is_organization(world):
    assert _visible_items(world.user_a) == {world.own_a, world.colleague_a}


def test_customer_sees_everything_under_all(world):
    set_setting(PORTAL_VISIBILITY, "all")
    assert _visible_items(world.user_a) == _all_items(world)
    assert _visible_items(world.user_loner) == _all_items(world)


def test_own_item_filed_under_another_organization_stays_visible(agent, world):
    set_setting(PORTAL_VISIBILITY, "organization")
    moved = create_item(
        agent,
        kind="ticket",
        title="Filed elsewhere",
        item_type_id=db.session.get(Item, world.own_a).item_type_id,
        requester_id=world.customer_a.id,
        organization_id=world.org_b.id,
    ).id
    assert moved in _visible_items(world.user_a)
    assert moved in _visible_items(world.user_b)


@pytest.mark.parametrize("visibility", ["own", "organization"])
def test_get_visible_item_hides_items_outside_the_scope(world, visibility):
    set_setting(PORTAL_VISIBILITY, visibility)
    assert get_visible_item(world.own_a, world.user_a).id == world.own_a
    for hidden in (world.own_b, world.nobody, world.loner_item):
        with pytest.raises(NotFoundError):
            get_visible_item(hidden, world.user_a)


def test_get_visible_item_follows_the_organization_setting(world):
    set_setting(PORTAL_VISIBILITY, "own")
    with pytest.raises(NotFoundError):
        get_visible_item(world.colleague_a, world.user_a)
    set_setting(PORTAL_VISIBILITY, "organization")
    assert get_visible_item(world.colleague_a, world.user_a).id == world.colleague_a
    set_setting(PORTAL_VISIBILITY, "all")
    assert get_visible_item(world.own_b, world.user_a).id == world.own_b


def test_get_visible_item_of_a_missing_item_is_not_found(agent):
    with pytest.raises(NotFoundError):
        get_visible_item(999_999, agent)


@pytest.mark.parametrize("role", ["Admin", "Manager", "Agent"])
@pytest.mark.parametrize("visibility", ["own", "organization", "all"])
def test_staff_see_every_item(world, make_user, role, visibility):
    set_setting(PORTAL_VISIBILITY, visibility)
    staff = make_user(role)
    assert _visible_items(staff) == _all_items(world)
    assert get_visible_item(world.own_b, staff).id == world.own_b


def test_customer_role_without_a_customer_record_sees_nothing(world, make_user):
    set_setting(PORTAL_VISIBILITY, "all")
    orphan = make_user("Customer")
    assert _visible_items(orphan) == set()
    with pytest.raises(NotFoundError):
        get_visible_item(world.own_a, orphan)


def test_anonymous_sees_nothing(world):
    set_setting(PORTAL_VISIBILITY, "all")
    assert _visible_items(None) == set()


def test_customer_of_finds_the_linked_record(world, agent):
    assert customer_of(world.user_a).id == world.customer_a.id
    assert customer_of(agent) is None
    assert customer_of(None) is None


# --- customer_scope and organization_scope ----------------------------------------


def test_customer_scope_shows_a_customer_their_colleagues(world):
    assert _visible_customers(world.user_a) == {
        world.customer_a.id,
        world.colleague.id,
    }
    assert _visible_customers(world.user_b) == {world.customer_b.id}


def test_customer_scope_without_organization_shows_only_themselves(world):
    assert _visible_customers(world.user_loner) == {world.loner.id}


def test_organization_scope_shows_a_customer_only_their_organization(world):
    assert _visible_organizations(world.user_a) == {world.org_a.id}
    assert _visible_organizations(world.user_b) == {world.org_b.id}
    assert _visible_organizations(world.user_loner) == set()


def test_scopes_of_a_customer_account_without_record_are_empty(world, make_user):
    orphan = make_user("Customer")
    assert _visible_customers(orphan) == set()
    assert _visible_organizations(orphan) == set()


@pytest.mark.parametrize("role", ["Admin", "Manager", "Agent"])
def test_staff_see_every_customer_and_organization(world, make_user, role):
    staff = make_user(role)
    assert _visible_customers(staff) == {
        world.customer_a.id,
        world.colleague.id,
        world.customer_b.id,
        world.loner.id,
    }
    assert _visible_organizations(staff) == {world.org_a.id, world.org_b.id}


def test_a_non_numeric_id_is_simply_not_found():
    from app.errors import NotFoundError
    from app.services.access import get_visible_item

    with pytest.raises(NotFoundError):
        get_visible_item("1 OR 1=1")
