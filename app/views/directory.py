"""Customers and organizations."""

from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import Optional

from app.models import Customer, Organization, Project, Team
from app.services import organizations as organization_service
from app.services.access import customer_scope, organization_scope
from app.views.base import AtriumModelView, ServicePrepared
from app.views.datamodel import EagerInterface
from app.views.filters import FilterByAccess
from app.views.items import RelatedItemsView
from app.views.users import language_choices
from app.views.widgets import (
    RemoteSelectField,
    text_area,
)


class OrganizationItemsView(RelatedItemsView):
    """An organization's items, listed under it."""

    list_columns = ["number", "item_type", "title", "status", "priority", "updated_at"]


class OrganizationProjectsView(AtriumModelView):
    """An organization's customer projects, listed under it."""

    datamodel = SQLAInterface(Project)
    base_permissions = ["can_list"]
    list_columns = ["name", "planned_start", "planned_end", "archived"]
    label_columns = {
        "name": _l("Name"),
        "planned_start": _l("Planned start"),
        "planned_end": _l("Planned end"),
        "archived": _l("Archived"),
    }
    list_title = _l("Projects")


class CustomerModelView(ServicePrepared, AtriumModelView):
    """People who write in."""

    datamodel = EagerInterface(Customer, eager=("organization",))
    route_base = "/customers"
    list_title = _l("Customers")
    show_title = _l("Customer")
    add_title = _l("New customer")
    edit_title = _l("Edit customer")
    list_columns = ["name", "email", "organization", "language", "created_at"]
    show_columns = [
        "name",
        "email",
        "phone",
        "organization",
        "language",
        "notes",
        "created_at",
    ]
    add_columns = ["name", "email", "phone", "organization", "language", "notes"]
    edit_columns = add_columns
    search_columns = ["name", "email", "organization", "language"]
    order_columns = ["name", "email", "created_at"]
    base_order = ("name", "asc")
    base_filters = [["id", FilterByAccess, lambda: customer_scope]]
    label_columns = {
        "name": _l("Name"),
        "email": _l("E-mail"),
        "phone": _l("Phone"),
        "organization": _l("Organization"),
        "language": _l("Language"),
        "notes": _l("Notes"),
        "created_at": _l("Created"),
    }
    add_form_extra_fields = {
        "organization": RemoteSelectField(
            _l("Organization"), model=Organization, endpoint="/lookup/organizations"
        ),
        "language": SelectField(
            _l("Language"), choices=language_choices, validators=[Optional()]
        ),
        "notes": text_area(_l("Notes")),
        "name": StringField(_l("Name"), validators=[Optional()]),
        "phone": StringField(_l("Phone"), validators=[Optional()]),
    }
    edit_form_extra_fields = add_form_extra_fields
    search_form_extra_fields = {"organization": add_form_extra_fields["organization"]}
    page_size = 50

    prepare = staticmethod(organization_service.prepare_customer)


class OrganizationModelView(ServicePrepared, AtriumModelView):
    """Customer companies, their mail domains, projects and items."""

    datamodel = EagerInterface(Organization, eager=("default_team", "domains"))
    route_base = "/organizations"
    list_title = _l("Organizations")
    show_title = _l("Organization")
    add_title = _l("New organization")
    edit_title = _l("Edit organization")
    list_columns = ["name", "domain_names", "default_team", "created_at"]
    show_columns = ["name", "domain_names", "default_team", "notes", "created_at"]
    add_columns = ["name", "domain_list", "default_team", "notes"]
    edit_columns = add_columns
    search_columns = ["name", "default_team", "created_at"]
    order_columns = ["name", "created_at"]
    base_order = ("name", "asc")
    base_filters = [["id", FilterByAccess, lambda: organization_scope]]
    related_views = [OrganizationProjectsView, OrganizationItemsView, CustomerModelView]
    label_columns = {
        "name": _l("Name"),
        "domain_names": _l("E-mail domains"),
        "domain_list": _l("E-mail domains"),
        "default_team": _l("Default team"),
        "notes": _l("Notes"),
        "created_at": _l("Created"),
    }
    description_columns = {
        "domain_list": _l(
            "New senders from these domains join this organization; "
            "separate them with commas."
        ),
    }
    add_form_extra_fields = {
        "domain_list": text_area(_l("E-mail domains")),
        "default_team": RemoteSelectField(
            _l("Default team"), model=Team, endpoint="/lookup/teams"
        ),
        "notes": text_area(_l("Notes")),
    }
    edit_form_extra_fields = add_form_extra_fields
    page_size = 50

    prepare = staticmethod(organization_service.prepare_organization_form)
