"""Many deliveries at once: what Pub/Sub and Cloud Scheduler do when they retry early
or redeliver, reproduced with threads released together by a barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def at_once(count: int, call: Callable[[], T]) -> list[T]:
    """Run ``call`` in ``count`` threads started together; their results, in the order
    they finished. An exception in a thread is re-raised here."""
    start = threading.Barrier(count)
    results: list[T] = []
    errors: list[BaseException] = []

    def one() -> None:
        start.wait()
        try:
            results.append(call())
        except BaseException as exc:  # surfaced below, in the test's own thread
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
