"""Organizations, their e-mail domains, and customers (the people who write in)."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import utcnow


class Organization(Model):
    """A customer company; its e-mail domains route new senders to it."""

    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    #: NFKC-casefolded name: "ACME" and "Ａｃｍｅ" are the same organization.
    name_key: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    default_team_id: Mapped[int | None] = mapped_column(
        ForeignKey("team.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    default_team = relationship("Team", foreign_keys=[default_team_id])
    domains = relationship(
        "OrganizationDomain",
        back_populates="organization",
        cascade="all, delete-orphan",
        order_by="OrganizationDomain.domain",
    )

    @property
    def domain_names(self) -> str:
        """The organization's mail domains, comma separated."""
        return ", ".join(d.domain for d in self.domains)

    #: Domains typed into a form, applied by services.organizations.
    pending_domains = None

    @property
    def domain_list(self) -> str:
        """Editable form of the domains; setting it stores the typed text."""
        return self.domain_names

    @domain_list.setter
    def domain_list(self, value: str | None) -> None:
        self.pending_domains = value or ""

    def __str__(self) -> str:
        return self.name


class OrganizationDomain(Model):
    """An e-mail domain owned by one organization (lower-case, unique)."""

    __tablename__ = "organization_domain"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), nullable=False, index=True
    )
    domain: Mapped[str] = mapped_column(String(253), unique=True, nullable=False)

    organization = relationship("Organization", back_populates="domains")

    def __str__(self) -> str:
        return self.domain


class Customer(Model):
    """Someone who asks for help; optionally with a portal login."""

    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    phone: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), nullable=True, index=True
    )
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True, unique=True
    )
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    organization = relationship("Organization")
    user = relationship("AtriumUser")

    @property
    def display_name(self) -> str:
        """Name and address, as shown in lists."""
        return f"{self.name} <{self.email}>" if self.name else self.email

    def __str__(self) -> str:
        return self.display_name
