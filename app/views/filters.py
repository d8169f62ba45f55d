"""FAB filters that delegate row visibility to the access layer."""

from __future__ import annotations

from flask_appbuilder.models.filters import BaseFilter


class FilterByAccess(BaseFilter):
    """Base filter whose value returns a scope function (model -> SQL condition)."""

    name = "Visible to the current user"
    arg_name = "acc"

    def apply(self, query, scope_factory):
        scope = scope_factory()
        return query.filter(scope())
