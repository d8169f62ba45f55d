"""FAB's SQLAlchemy interface for list pages: eager loading, computed columns."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import func
from sqlalchemy.orm import selectinload

#: Lists count at most this many rows; past it the count reads "10,000+" pages.
COUNT_CAP = 10_000


class EagerInterface(SQLAInterface):
    """Loads the named relationships of a page's rows in one query each (no N+1),
    and counts at most COUNT_CAP + 1 rows, so a huge result set costs no more to
    count than a large one.

    A subclass may name ``computed_columns``: values computed from a row's own
    columns and loaded relationships rather than read from one attribute."""

    #: Column name -> function of the row that gives the column's value.
    computed_columns: ClassVar[Mapping[str, Callable[[Any], Any]]] = {}

    def __init__(self, obj: type, session: Any = None, *, eager: tuple[str, ...] = ()):
        super().__init__(obj, session)
        self.eager = eager

    def query_count(self, query: Any, filters: Any = None, select_columns: Any = None):
        filtered = self._apply_inner_all(
            query, filters, select_columns=select_columns, aliases_mapping={}
        )
        capped = filtered.with_entities(self.obj.id).limit(COUNT_CAP + 1).subquery()
        return self.session.query(func.count()).select_from(capped).scalar()

    def apply_all(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        query = super().apply_all(query, *args, **kwargs)
        return query.options(
            *(selectinload(getattr(self.obj, name)) for name in self.eager)
        )

    def _get_attr_value(self, item: Any, col: str) -> Any:
        computed = self.computed_columns.get(col)
        if computed is not None:
            return computed(item)
        return super()._get_attr_value(item, col)
