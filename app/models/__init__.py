"""Every model module, imported so that Alembic and FAB see the whole schema."""

from app.models.jobs import JobRun, JobStatus
from app.models.users import AtriumUser

__all__ = ["AtriumUser", "JobRun", "JobStatus"]
