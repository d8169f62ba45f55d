"""FAB's SQLAlchemy interface with eager loading for list pages."""

from __future__ import annotations

from typing import Any

from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy.orm import selectinload


class EagerInterface(SQLAInterface):
    """Loads the named relationships of a page's rows in one query each (no N+1)."""

    def __init__(self, obj: type, session: Any = None, *, eager: tuple[str, ...] = ()):
        super().__init__(obj, session)
        self.eager = eager

    def apply_all(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        query = super().apply_all(query, *args, **kwargs)
        return query.options(
            *(selectinload(getattr(self.obj, name)) for name in self.eager)
        )
