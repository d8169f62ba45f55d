"""JSON type-ahead endpoints behind the remote selects (select2's AJAX format)."""

from __future__ import annotations

from flask import abort, g, jsonify, request
from flask_appbuilder import BaseView, expose, has_access

from app.services.lookups import LOOKUP_KINDS, search
from app.services.text import display_name
from app.views.filters import page_arg


class LookupView(BaseView):
    """GET /lookup/<kind>?q=term&page=n -> {"results": [...], "pagination": {...}}."""

    route_base = "/lookup"
    default_view = "lookup"

    @expose("/<kind>")
    @has_access
    def lookup(self, kind: str):
        if kind not in LOOKUP_KINDS:
            abort(404)
        page = page_arg(limit=1000)
        rows, more = search(kind, request.args.get("q", ""), page, g.user)
        return jsonify(
            results=[{"id": row.id, "text": display_name(row)} for row in rows],
            pagination={"more": more},
        )
