"""Portfolios (nested folders) and projects."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.errors import InvalidInputError
from app.extensions import db
from app.models import Portfolio, Project
from app.services.text import clean_line, clean_text

MAX_FOLDER_DEPTH = 20


def prepare_project(project: Project) -> None:
    """Clean a project's fields; the planned end may not precede the start."""
    project.name = clean_line(project.name, field="name", max_length=200)
    project.description = clean_text(project.description, field="description")
    project.archived = bool(project.archived)
    if project.planned_start and project.planned_end:
        if project.planned_end < project.planned_start:
            raise InvalidInputError(
                _l("The planned end cannot be before the planned start."),
                field="planned_end",
            )


def prepare_portfolio(portfolio: Portfolio) -> None:
    """Clean a portfolio; a folder may not be inside itself."""
    portfolio.name = clean_line(portfolio.name, field="name", max_length=200)
    portfolio.description = clean_text(portfolio.description, field="description")
    portfolio.position = portfolio.position or 0
    parent = portfolio.parent
    for _depth in range(MAX_FOLDER_DEPTH):
        if parent is None:
            return
        if parent is portfolio or (portfolio.id and parent.id == portfolio.id):
            break
        parent = parent.parent
    raise InvalidInputError(
        _l("A folder cannot be placed inside itself."), field="parent"
    )


def create_project(name: str, **fields: object) -> Project:
    """Create a project from plain values."""
    fields.setdefault("description", "")
    project = Project(name=name, **fields)
    prepare_project(project)
    db.session.add(project)
    db.session.commit()
    project_saved(project, created=True)
    return project


def project_saved(project: Project, *, created: bool) -> None:
    """Once a project is committed: the automation rules it may trigger."""
    from app.services import automation

    automation.project_saved(project, created=created)


def create_portfolio(name: str, *, parent: Portfolio | None = None) -> Portfolio:
    """Create a portfolio, or a folder inside ``parent``."""
    portfolio = Portfolio(name=name, description="", parent=parent)
    prepare_portfolio(portfolio)
    db.session.add(portfolio)
    db.session.commit()
    return portfolio
