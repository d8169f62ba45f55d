"""JobRun: one visible background job, also the outbox when Redis is away."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from flask_appbuilder import Model
from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import utcnow


class JobStatus(enum.StrEnum):
    """Where a job is in its life."""

    PENDING = "pending"  # stored, not yet handed to Redis (Redis was unreachable)
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


class JobRun(Model):
    """A background job as the UI shows it: who asked, status, progress, error."""

    __tablename__ = "job_run"
    __table_args__ = (Index("ix_job_run_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    func: Mapped[str] = mapped_column(String(200), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    args: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, default=JobStatus.QUEUED.value, index=True
    )
    progress: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    message: Mapped[str] = mapped_column(Text, nullable=False, default="")
    error: Mapped[str] = mapped_column(Text, nullable=False, default="")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, default=utcnow
    )
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)

    requested_by = relationship("AtriumUser", foreign_keys=[requested_by_id])

    @property
    def call(self) -> tuple[str, str, list]:
        """What runs: (function path, stored title, arguments), for display."""
        return self.func, self.title, list(self.args or [])

    @property
    def is_done(self) -> bool:
        """Whether the job has stopped, well or badly."""
        return self.status in (JobStatus.FINISHED, JobStatus.FAILED)

    def __repr__(self) -> str:
        return f"<JobRun {self.job_id} {self.status}>"
