"""app.mail is a pure leaf package: its tests run without the Flask app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def app_context() -> Iterator[None]:
    """Overrides the suite-wide app context: nothing here may need Flask."""
    yield
