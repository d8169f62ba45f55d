"""Satisfaction ratings: what a requester thought of the help on one item."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import utcnow

#: The lowest and the highest score of the survey (stars).
MIN_SCORE = 1
MAX_SCORE = 5


class SatisfactionRating(Model):
    """One answer to a satisfaction survey mail; each mail's links work once."""

    __tablename__ = "satisfaction_rating"
    __table_args__ = (
        CheckConstraint(
            f"score BETWEEN {MIN_SCORE} AND {MAX_SCORE}",
            name="ck_satisfaction_rating_score",
        ),
        UniqueConstraint("token_nonce", name="uq_satisfaction_rating_token_nonce"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey(
            "item.id", ondelete="CASCADE", name="fk_satisfaction_rating_item_id"
        ),
        nullable=False,
        index=True,
    )
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey(
            "customer.id",
            ondelete="SET NULL",
            name="fk_satisfaction_rating_customer_id",
        ),
        nullable=True,
    )
    score: Mapped[int] = mapped_column(Integer, nullable=False)
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: The random part of the survey link; unique, so a link is used only once.
    token_nonce: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utcnow
    )

    item = relationship("Item")
    customer = relationship("Customer")

    @property
    def stars(self) -> str:
        """The score as filled and empty stars, such as ★★★★☆."""
        return "★" * self.score + "☆" * (MAX_SCORE - self.score)
