"""Job tests reuse the service tests' item types and accounts."""

from tests.services.conftest import (  # noqa: F401 - fixtures
    agent,
    make_customer_user,
    task_type,
    ticket_type,
)
