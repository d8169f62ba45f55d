"""What the automation job is doing right now, for the code its actions call."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RunState:
    """The rule being applied and the chain of rule runs that led here."""

    depth: int = 0
    chain: tuple[int, ...] = field(default_factory=tuple)
    rule_name: str = ""


_state: contextvars.ContextVar[RunState | None] = contextvars.ContextVar(
    "atrium_automation_state", default=None
)


def current() -> RunState | None:
    """The rule run in progress, or None outside the automation job."""
    return _state.get()


@contextlib.contextmanager
def applying(state: RunState) -> Iterator[None]:
    """Mark changes made inside the block as made by a rule run."""
    token = _state.set(state)
    try:
        yield
    finally:
        _state.reset(token)
