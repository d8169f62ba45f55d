"""Portfolios and projects."""

from __future__ import annotations

from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.models import Organization, Portfolio, Project
from app.services import projects as project_service
from app.views.base import AtriumModelView, ServicePrepared
from app.views.datamodel import EagerInterface
from app.views.items import RelatedItemsView
from app.views.widgets import (
    RemoteSelectField,
    text_area,
)

PROJECT_LABELS = {
    "name": _l("Name"),
    "description": _l("Description"),
    "portfolio": _l("Portfolio"),
    "organization": _l("Customer"),
    "planned_start": _l("Planned start"),
    "planned_end": _l("Planned end"),
    "archived": _l("Archived"),
    "created_at": _l("Created"),
    "parent": _l("Parent folder"),
    "position": _l("Position"),
}


class ProjectItemsView(RelatedItemsView):
    """The items of one project, listed under it."""


class ProjectModelView(ServicePrepared, AtriumModelView):
    """Projects, optionally for one customer organization."""

    datamodel = EagerInterface(Project, eager=("portfolio", "organization"))
    route_base = "/projects"
    list_title = _l("Projects")
    show_title = _l("Project")
    add_title = _l("New project")
    edit_title = _l("Edit project")
    list_columns = ["name", "portfolio", "organization", "planned_start", "planned_end"]
    show_columns = [
        "name",
        "description",
        "portfolio",
        "organization",
        "planned_start",
        "planned_end",
        "archived",
        "created_at",
    ]
    add_columns = [
        "name",
        "description",
        "portfolio",
        "organization",
        "planned_start",
        "planned_end",
    ]
    edit_columns = [*add_columns, "archived"]
    search_columns = ["name", "portfolio", "organization", "archived", "planned_end"]
    order_columns = ["name", "planned_start", "planned_end"]
    base_order = ("name", "asc")
    base_filters = [["archived", FilterEqual, False]]
    related_views = [ProjectItemsView]
    label_columns = PROJECT_LABELS
    add_form_extra_fields = {
        "organization": RemoteSelectField(
            _l("Customer"), model=Organization, endpoint="/lookup/organizations"
        ),
        "description": text_area(_l("Description")),
    }
    edit_form_extra_fields = add_form_extra_fields
    search_form_extra_fields = {"organization": add_form_extra_fields["organization"]}
    page_size = 50

    prepare = staticmethod(project_service.prepare_project)

    def post_add(self, item: Project) -> None:
        project_service.project_saved(item, created=True)

    def post_update(self, item: Project) -> None:
        project_service.project_saved(item, created=False)


class ArchivedProjectModelView(ProjectModelView):
    """Archived projects: out of the way, still searchable."""

    route_base = "/projects/archived"
    list_title = _l("Archived projects")
    base_filters = [["archived", FilterEqual, True]]
    base_permissions = ["can_list", "can_show", "can_edit"]


class PortfolioModelView(ServicePrepared, AtriumModelView):
    """Portfolios and their nested folders."""

    datamodel = SQLAInterface(Portfolio)
    route_base = "/portfolios"
    list_title = _l("Portfolios")
    show_title = _l("Portfolio")
    add_title = _l("New portfolio or folder")
    edit_title = _l("Edit portfolio")
    list_columns = ["name", "parent", "position"]
    add_columns = ["name", "parent", "description", "position"]
    edit_columns = add_columns
    show_columns = add_columns
    search_columns = ["name", "parent"]
    order_columns = ["name", "position"]
    base_order = ("position", "asc")
    label_columns = PROJECT_LABELS
    add_form_extra_fields = {"description": text_area(_l("Description"))}
    edit_form_extra_fields = add_form_extra_fields

    prepare = staticmethod(project_service.prepare_portfolio)
