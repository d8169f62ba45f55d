"""Tree pages: by customer (organization → projects → items) and by portfolio."""

from __future__ import annotations

from flask import abort, g, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from app.services import trees
from app.views.filters import page_arg


class ByCustomerView(BaseView):
    """Organizations, each opening onto its projects and items."""

    route_base = "/tree/customers"
    default_view = "tree"

    @expose("/")
    @has_access
    def tree(self):
        term = request.args.get("q", "")[:100]
        page = page_arg(limit=10_000)
        organizations, more, counts = trees.organizations_page(term, page, g.user)
        return self.render_template(
            "atrium/tree_customers.html",
            title=_l("By customer"),
            organizations=organizations,
            counts=counts,
            term=term,
            page=page,
            more=more,
        )


class ByPortfolioView(BaseView):
    """Portfolios and folders, opening onto projects and items."""

    route_base = "/tree/portfolios"
    default_view = "tree"

    @expose("/")
    @has_access
    def tree(self):
        return self.render_template(
            "atrium/tree_portfolios.html",
            title=_l("By portfolio"),
            level=trees.portfolio_level(None, g.user),
        )


class TreeFragmentView(BaseView):
    """One lazily loaded level of a tree, as an HTML fragment."""

    route_base = "/tree/level"
    default_view = "level"
    LOADERS = {
        "organization": trees.organization_level,
        "portfolio": trees.portfolio_level,
        "project": trees.project_level,
        "item": trees.item_level,
    }

    @expose("/<kind>/<int:object_id>")
    @has_access
    def level(self, kind: str, object_id: int):
        loader = self.LOADERS.get(kind)
        if loader is None:
            abort(404)
        return self.render_template(
            "atrium/tree_level.html",
            level=loader(object_id, g.user),
            kind=kind,
            object_id=object_id,
        )
