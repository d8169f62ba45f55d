"""`flask worker`: an RQ worker with the scheduler, on Atrium's queue."""

from __future__ import annotations

import logging

from rq import Worker
from rq.serializers import JSONSerializer

from app.jobs import get_queue

logger = logging.getLogger(__name__)


def run_worker(*, burst: bool = False, name: str | None = None) -> bool:
    """Work Atrium's queue until stopped (or until empty with ``burst``)."""
    queue = get_queue()
    worker = Worker(
        [queue], connection=queue.connection, serializer=JSONSerializer, name=name
    )
    return worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
