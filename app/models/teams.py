"""Teams of agents (assignment targets, round-robin pools)."""

from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

team_member = Table(
    "team_member",
    Model.metadata,
    Column("team_id", ForeignKey("team.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True),
)


class Team(Model):
    """A group of agents; items can be assigned to a team and/or a person."""

    __tablename__ = "team"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: Id of the member round-robin assignment gave the last item to (0: none yet).
    round_robin_cursor: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    members = relationship("AtriumUser", secondary=team_member, lazy="selectin")

    def __str__(self) -> str:
        return self.name
