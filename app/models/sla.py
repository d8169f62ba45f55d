"""SLA policies: response and resolution targets in business time."""

from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship


class SlaPolicy(Model):
    """Targets for the items it matches; the most specific matching policy wins.

    A policy matches an item when every matcher it sets (organization, type,
    priority) equals the item's; a policy that sets more matchers is more specific.
    """

    __tablename__ = "sla_policy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), nullable=True, index=True
    )
    item_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("item_type.id", ondelete="CASCADE"), nullable=True, index=True
    )
    priority: Mapped[int | None] = mapped_column(Integer, nullable=True)
    calendar_id: Mapped[int | None] = mapped_column(
        ForeignKey("business_calendar.id", ondelete="SET NULL"), nullable=True
    )
    #: Business minutes until the first public reply is due (None: no target).
    first_response_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: Business minutes until the item must be resolved (None: no target).
    resolution_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: Business minutes before a due time at which a warning fires.
    warning_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=60)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    #: Breaks ties between equally specific policies (lower first).
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    organization = relationship("Organization")
    item_type = relationship("ItemType")
    calendar = relationship("BusinessCalendar")

    @property
    def specificity(self) -> int:
        """How many matchers the policy sets (0 matches every item)."""
        return sum(
            value is not None
            for value in (self.organization_id, self.item_type_id, self.priority)
        )

    def __str__(self) -> str:
        return self.name
