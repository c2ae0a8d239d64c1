"""Values read once per batch of station messages instead of once per message (csms.dispatch opens the scope).

Only for reads that may be a few milliseconds old without harm, such as which webhook endpoints are active.
Outside a batch (a view, a task, a test) `memo` simply computes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")
_scope: ContextVar[dict[Any, Any] | None] = ContextVar("csms_batch_scope", default=None)


@contextmanager
def scope() -> Iterator[None]:
    token = _scope.set({})
    try:
        yield
    finally:
        _scope.reset(token)


def memo(key: Any, compute: Callable[[], T]) -> T:
    cache = _scope.get()
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]
