"""The read-only "Background jobs" screen."""

from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.models import JobRun
from app.services.access import job_run_scope
from app.views.base import AtriumModelView
from app.views.filters import FilterByAccess

STATUS_LABELS = {
    "pending": _l("Waiting for the queue"),
    "queued": _l("Queued"),
    "running": _l("Running"),
    "finished": _l("Finished"),
    "failed": _l("Failed"),
}


def status_badge(status: str) -> Markup:
    """A colored, translated badge for a job status."""
    label = STATUS_LABELS.get(status, status)
    return Markup('<span class="atrium-status atrium-status-{0}">{1}</span>').format(
        escape(status), label
    )


#: Job functions as people call them; the stored title is the fallback.
JOB_LABELS = {
    "app.jobs.mail.send_outbound_email": _l("Send e-mail"),
    "app.jobs.mail.poll_mailbox": _l("Check a mailbox for mail"),
    "app.jobs.mail.poll_mailboxes": _l("Check every mailbox"),
    "app.jobs.mail.flush_outbox": _l("Send waiting e-mail"),
    "app.jobs.maintenance.prune_job_runs": _l("Delete old job records"),
    "app.jobs.sla.scan_sla": _l("Check SLA deadlines"),
    "app.jobs.automation.run_automation_event": _l("Run automation rules"),
    "app.jobs.automation.run_time_rules": _l("Run time-based automation rules"),
}


def job_label(call: tuple[str, str, list]) -> str:
    """The translated name of a job, with its first argument (an id) if any."""
    func, title, args = call
    label = JOB_LABELS.get(func)
    name = func.rpartition(".")[2]
    # A title someone chose stays; the default (the function's name) is translated.
    if label is None or title not in (name, name.replace("_", "-")):
        return title
    return f"{label} #{args[0]}" if args else str(label)


def progress_bar(progress: int | None) -> Markup:
    """A small Bootstrap progress bar for a percentage."""
    value = max(0, min(100, int(progress or 0)))
    return Markup(
        '<div class="progress atrium-progress">'
        '<div class="progress-bar" role="progressbar" aria-valuenow="{0}"'
        ' aria-valuemin="0" aria-valuemax="100" style="width: {0}%">'
        "{0}%</div></div>"
    ).format(value)


class JobRunModelView(AtriumModelView):
    """Background jobs: status, progress, error and who asked; read-only."""

    datamodel = SQLAInterface(JobRun)
    base_permissions = ["can_list", "can_show"]
    base_filters = [["id", FilterByAccess, lambda: job_run_scope]]
    base_order = ("created_at", "desc")
    list_title = _l("Background jobs")
    show_title = _l("Background job")
    list_columns = [
        "call",
        "status",
        "progress",
        "requested_by",
        "created_at",
        "finished_at",
    ]
    show_columns = [
        "call",
        "job_id",
        "status",
        "progress",
        "message",
        "error",
        "attempts",
        "requested_by",
        "created_at",
        "started_at",
        "finished_at",
    ]
    search_columns = ["title", "status", "created_at"]
    order_columns = ["title", "status", "created_at", "finished_at"]
    label_columns = {
        "title": _l("Job"),
        "call": _l("Job"),
        "job_id": _l("Job id"),
        "status": _l("Status"),
        "progress": _l("Progress"),
        "message": _l("Last message"),
        "error": _l("Error"),
        "attempts": _l("Attempts"),
        "requested_by": _l("Requested by"),
        "created_at": _l("Requested at"),
        "started_at": _l("Started at"),
        "finished_at": _l("Finished at"),
    }
    formatters_columns = {
        "status": status_badge,
        "progress": progress_bar,
        "call": job_label,
    }
    page_size = 25
