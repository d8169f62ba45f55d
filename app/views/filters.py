"""FAB filters that delegate row visibility to the access layer."""

from __future__ import annotations

from flask import request
from flask_appbuilder.models.filters import BaseFilter


class FilterByAccess(BaseFilter):
    """Base filter whose value returns a scope function (model -> SQL condition)."""

    name = "Visible to the current user"
    arg_name = "acc"

    def apply(self, query, scope_factory):
        scope = scope_factory()
        return query.filter(scope())


def page_arg(limit: int) -> int:
    """The ``page`` query argument as a number from 1 to ``limit`` (1 if garbled)."""
    try:
        return max(1, min(int(request.args.get("page", 1)), limit))
    except ValueError:
        return 1
