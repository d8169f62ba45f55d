"""Organizations and customers: creation, domains, lookup by e-mail."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from app.errors import InvalidInputError
from app.extensions import db
from app.models import Customer, Organization, OrganizationDomain
from app.services.text import clean_line, clean_text, unique_key

#: Free mail providers: a sender from these never creates or joins an organization.
PUBLIC_MAIL_DOMAINS = frozenset(
    """gmail.com googlemail.com yahoo.com yahoo.co.uk yahoo.it yahoo.com.br hotmail.com
    hotmail.it outlook.com live.com msn.com icloud.com me.com mac.com aol.com
    protonmail.com proton.me gmx.com gmx.de gmx.net web.de mail.com yandex.ru yandex.com
    ya.ru mail.ru bk.ru inbox.ru list.ru rambler.ru libero.it virgilio.it tiscali.it
    alice.it tim.it uol.com.br bol.com.br terra.com.br sapo.pt online.no hotmail.no
    live.no zoho.com fastmail.com tutanota.com""".split()
)
#: Labels, then a top-level domain: letters, or the punycode of an IDN (xn--p1ai).
_DOMAIN_RE = re.compile(
    r"(?=.{1,253}\Z)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    r"(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})"
)


def normalize_email(value: str) -> str:
    """A syntactically valid, lower-cased e-mail address, or InvalidInputError."""
    try:
        info = validate_email((value or "").strip(), check_deliverability=False)
    except EmailNotValidError:
        raise InvalidInputError(
            _l("This is not a valid e-mail address."), field="email"
        ) from None
    return info.normalized.lower()


def normalize_domain(value: str) -> str:
    """A lower-case mail domain such as example.com, or InvalidInputError."""
    domain = (value or "").strip().lower().lstrip("@")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        domain = ""
    if not _DOMAIN_RE.fullmatch(domain):
        raise InvalidInputError(_l("This is not a valid domain."), field="domains")
    return domain


def parse_domains(text: str) -> list[str]:
    """Domains from a comma, space or newline separated list, deduplicated."""
    seen: dict[str, None] = {}
    for part in re.split(r"[\s,;]+", text or ""):
        if part:
            seen[normalize_domain(part)] = None
    return list(seen)


def prepare_organization(organization: Organization) -> None:
    """Clean an organization's fields and refuse a duplicate name. Flushes."""
    organization.name = clean_line(organization.name, field="name", max_length=200)
    organization.notes = clean_text(
        organization.notes, field="notes", max_length=20_000
    )
    organization.name_key = unique_key(organization.name)
    duplicate = db.session.scalar(
        db.select(Organization.id).where(
            Organization.name_key == organization.name_key,
            Organization.id != (organization.id or 0),
        )
    )
    if duplicate:
        raise InvalidInputError(
            _l("An organization with this name already exists."), field="name"
        )


def set_domains(organization: Organization, domains: list[str]) -> None:
    """Give ``organization`` exactly these domains; a domain has one owner."""
    domains = list(dict.fromkeys(domains))
    taken = db.session.scalars(
        db.select(OrganizationDomain).where(
            OrganizationDomain.domain.in_(domains),
            OrganizationDomain.organization_id != (organization.id or 0),
        )
    ).first()
    if taken is not None:
        raise InvalidInputError(
            _l(
                "The domain %(domain)s belongs to another organization.",
                domain=taken.domain,
            ),
            field="domains",
        )
    public = [d for d in domains if d in PUBLIC_MAIL_DOMAINS]
    if public:
        raise InvalidInputError(
            _l("%(domain)s is a public mail provider.", domain=public[0]),
            field="domains",
        )
    current = {d.domain: d for d in organization.domains}
    organization.domains = [
        current.get(d) or OrganizationDomain(domain=d) for d in domains
    ]


def create_organization(
    name: str, *, domains: list[str] = (), notes: str = ""
) -> Organization:
    """Create an organization with its mail domains."""
    organization = Organization(name=name, notes=notes)
    prepare_organization(organization)
    set_domains(organization, [normalize_domain(d) for d in domains])
    db.session.add(organization)
    db.session.commit()
    return organization


def organization_for_email(email: str, *, create: bool = True) -> Organization | None:
    """The organization owning the sender's domain; created from it when unknown."""
    local, at, domain = (email or "").rpartition("@")
    if not (local and at):
        return None
    try:
        domain = normalize_domain(domain)
    except InvalidInputError:
        return None
    if domain in PUBLIC_MAIL_DOMAINS:
        return None
    owner = db.session.scalar(
        db.select(Organization)
        .join(OrganizationDomain)
        .where(OrganizationDomain.domain == domain)
    )
    if owner is not None or not create:
        return owner
    name = domain
    suffix = 1
    while db.session.scalar(
        db.select(Organization.id).where(Organization.name_key == unique_key(name))
    ):
        suffix += 1
        name = f"{domain} ({suffix})"
    owner = Organization(name=name, notes="")
    prepare_organization(owner)
    owner.domains = [OrganizationDomain(domain=domain)]
    db.session.add(owner)
    db.session.flush()
    return owner


def prepare_customer(customer: Customer) -> None:
    """Clean a customer's fields, refuse a duplicate address; join the domain's org."""
    customer.email = normalize_email(customer.email)
    customer.name = clean_line(
        customer.name, field="name", max_length=200, required=False
    )
    customer.phone = clean_line(
        customer.phone, field="phone", max_length=50, required=False
    )
    customer.notes = clean_text(customer.notes, field="notes", max_length=20_000)
    duplicate = db.session.scalar(
        db.select(Customer.id).where(
            Customer.email == customer.email, Customer.id != (customer.id or 0)
        )
    )
    if duplicate:
        raise InvalidInputError(
            _l("A customer with this e-mail address already exists."), field="email"
        )
    if customer.organization_id is None and customer.organization is None:
        customer.organization = organization_for_email(customer.email)


def find_or_add_customer(
    email: str, *, name: str = "", language: str | None = None
) -> Customer:
    """The customer with this address, added (with its organization) if new; flushes."""
    address = normalize_email(email)
    customer = db.session.scalar(db.select(Customer).filter_by(email=address))
    if customer is not None:
        return customer
    name = " ".join((name or "").split())[:200]
    customer = Customer(email=address, name=name, language=language, phone="", notes="")
    prepare_customer(customer)
    db.session.add(customer)
    db.session.flush()
    return customer


def get_or_create_customer(
    email: str, *, name: str = "", language: str | None = None
) -> Customer:
    """The customer with this address, created (with its organization) if new."""
    customer = find_or_add_customer(email, name=name, language=language)
    db.session.commit()
    return customer


def prepare_organization_form(organization: Organization) -> None:
    """Clean an organization edited in a form, including its typed domain list."""
    prepare_organization(organization)
    if organization.pending_domains is not None:
        set_domains(organization, parse_domains(organization.pending_domains))
