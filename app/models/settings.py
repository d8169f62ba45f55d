"""Setting: one row per administrator-editable option (portal visibility, ...)."""

from __future__ import annotations

from typing import Any

from flask_appbuilder import Model
from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column


class Setting(Model):
    """A named, JSON-valued option; defaults live in services.settings."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
