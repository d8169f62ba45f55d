"""Organizations, their mail domains, and customers found or created by e-mail."""

from __future__ import annotations

import pytest

from app.errors import InvalidInputError
from app.extensions import db
from app.models import Customer, Organization, OrganizationDomain
from app.services.organizations import (
    create_organization,
    get_or_create_customer,
    normalize_domain,
    organization_for_email,
    parse_domains,
)
from tests.factories import OrganizationFactory


def _organization_count() -> int:
    return db.session.scalar(db.select(db.func.count(Organization.id)))


def _domains() -> list[str]:
    return list(
        db.session.scalars(
            db.select(OrganizationDomain.domain).order_by(OrganizationDomain.domain)
        )
    )


# --- create_organization ----------------------------------------------------------


def test_create_organization_stores_normalised_domains():
    org = create_organization(
        "  Acme   Corp ",
        domains=[" ACME.Example ", "@Mail.Acme.example", "Bücher.example"],
    )
    db.session.expire_all()
    stored = db.session.get(Organization, org.id)
    assert stored.name == "Acme Corp"
    assert stored.name_key == "acme corp"
    assert [d.domain for d in stored.domains] == [
        "acme.example",
        "mail.acme.example",
        "xn--bcher-kva.example",
    ]


def test_create_organization_accepts_an_internationalised_top_level_domain():
    org = create_organization("Пример", domains=["Пример.РФ"])
    assert [d.domain for d in org.domains] == ["xn--e1afmkfd.xn--p1ai"]


def test_create_organization_folds_a_domain_listed_twice():
    org = create_organization("Twice", domains=["acme.example", "ACME.example"])
    assert [d.domain for d in org.domains] == ["acme.example"]


@pytest.mark.parametrize(
    "domain", ["", "acme", "-acme.example", "acme..example", "a b.example", "acme.c0m"]
)
def test_create_organization_refuses_an_invalid_domain(domain):
    with pytest.raises(InvalidInputError) as excinfo:
        create_organization("Acme", domains=[domain])
    assert excinfo.value.field == "domains"
    assert _organization_count() == 0


@pytest.mark.parametrize("twin", ["Acme", "ACME", "Ａｃｍｅ", " acme ", "ａｃｍｅ"])
def test_create_organization_refuses_a_duplicate_name_and_its_twins(twin):
    create_organization("acme")
    with pytest.raises(InvalidInputError) as excinfo:
        create_organization(twin)
    assert excinfo.value.field == "name"
    assert _organization_count() == 1


def test_create_organization_refuses_a_domain_of_another_organization():
    create_organization("First", domains=["acme.example"])
    with pytest.raises(InvalidInputError) as excinfo:
        create_organization("Second", domains=["other.example", "ACME.example"])
    assert excinfo.value.field == "domains"
    assert "acme.example" in str(excinfo.value)
    assert _organization_count() == 1
    assert _domains() == ["acme.example"]


@pytest.mark.parametrize("domain", ["gmail.com", "GMAIL.COM", "outlook.com", "web.de"])
def test_create_organization_refuses_a_public_mail_domain(domain):
    with pytest.raises(InvalidInputError) as excinfo:
        create_organization("Freemail fans", domains=[domain])
    assert excinfo.value.field == "domains"
    assert _organization_count() == 0


@pytest.mark.parametrize("name", ["", "   ", "\u200b", "x" * 201, "a\x00b"])
def test_create_organization_refuses_a_bad_name(name):
    with pytest.raises(InvalidInputError):
        create_organization(name)
    assert _organization_count() == 0


def test_normalize_domain_and_parse_domains():
    assert normalize_domain("@Example.COM ") == "example.com"
    assert parse_domains("a.example, B.example;a.example\nc.example") == [
        "a.example",
        "b.example",
        "c.example",
    ]


# --- organization_for_email -------------------------------------------------------


def test_organization_for_email_joins_the_owner_of_the_domain():
    org = OrganizationFactory(domain_list=["acme.example"])
    assert organization_for_email("bob@ACME.example") == org
    assert _organization_count() == 1


def test_organization_for_email_finds_an_internationalised_domain():
    org = create_organization("Bücher", domains=["bücher.example"])
    assert organization_for_email("anna@Bücher.example") == org
    assert organization_for_email("anna@xn--bcher-kva.example") == org
    assert _organization_count() == 1


def test_organization_for_email_creates_an_organization_for_a_new_domain():
    org = organization_for_email("carol@newco.example")
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Organization, org.id)
    assert stored.name == "newco.example"
    assert [d.domain for d in stored.domains] == ["newco.example"]


def test_organization_for_email_avoids_a_taken_name():
    OrganizationFactory(name="newco.example")
    org = organization_for_email("carol@newco.example")
    assert org.name == "newco.example (2)"
    assert _organization_count() == 2


def test_organization_for_email_without_create_only_looks_up():
    assert organization_for_email("carol@newco.example", create=False) is None
    assert _organization_count() == 0


@pytest.mark.parametrize(
    "email", ["someone@gmail.com", "someone@GMail.com", "someone@proton.me", "nobody"]
)
def test_organization_for_email_ignores_public_and_missing_domains(email):
    assert organization_for_email(email) is None
    assert _organization_count() == 0


# --- get_or_create_customer -------------------------------------------------------


def test_get_or_create_customer_lower_cases_and_joins_the_domain_organization():
    org = OrganizationFactory(domain_list=["acme.example"])
    customer = get_or_create_customer(" Dave@ACME.Example ", name="Dave")
    db.session.expire_all()
    stored = db.session.get(Customer, customer.id)
    assert stored.email == "dave@acme.example"
    assert stored.name == "Dave"
    assert stored.organization_id == org.id


def test_get_or_create_customer_is_idempotent():
    first = get_or_create_customer("erin@acme.example")
    second = get_or_create_customer("ERIN@acme.example", name="Someone else")
    assert second.id == first.id
    assert db.session.scalar(db.select(db.func.count(Customer.id))) == 1
    assert _organization_count() == 1


def test_get_or_create_customer_creates_the_organization_of_a_new_domain():
    customer = get_or_create_customer("frank@startup.example")
    assert customer.organization is not None
    assert customer.organization.domain_names == "startup.example"


def test_get_or_create_customer_from_public_mail_has_no_organization():
    customer = get_or_create_customer("grace@gmail.com")
    assert customer.organization_id is None
    assert _organization_count() == 0


@pytest.mark.parametrize(
    "email", ["", "not-an-address", "a@b", "two@@acme.example", "x@acme.example\x00"]
)
def test_get_or_create_customer_refuses_an_invalid_address(email):
    with pytest.raises(InvalidInputError) as excinfo:
        get_or_create_customer(email)
    assert excinfo.value.field == "email"
    assert db.session.scalar(db.select(db.func.count(Customer.id))) == 0
