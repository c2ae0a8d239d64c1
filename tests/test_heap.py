"""Long-running processes exempt their start-up objects from the cyclic collector once started (csms.heap)."""

import gc

import pytest
from celery import signals

from csms import heap


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_settle_moves_what_is_alive_out_of_the_collectors_reach(unfrozen):
    kept = [[n] for n in range(10)]  # lists are tracked by the collector
    assert any(o is kept[0] for o in gc.get_objects())

    heap.settle()

    assert gc.get_freeze_count() >= len(kept)
    assert not any(o is kept[0] for o in gc.get_objects())  # no collection walks it any more


@pytest.mark.parametrize("signal", [signals.worker_process_init, signals.worker_ready])
def test_a_worker_settles_its_heap_once_it_can_take_tasks(unfrozen, signal):
    import csms.celery  # noqa: F401 - connects the handlers

    signal.send(sender=None)

    assert gc.get_freeze_count() > 0


def test_a_node_settles_its_heap_at_start_up(unfrozen, monkeypatch):
    import asyncio

    from node import runtime

    async def nothing():
        return None

    monkeypatch.setattr(runtime, "start", nothing)
    sent = []
    messages = iter([{"type": "lifespan.startup"}])

    async def receive():
        return next(messages)

    async def send(message):
        sent.append(message)
        assert gc.get_freeze_count() > 0  # settled before the server takes connections
        raise SystemExit  # end the lifespan loop here

    with pytest.raises(SystemExit):
        asyncio.run(runtime.with_lifespan(None)({"type": "lifespan"}, receive, send))
    assert sent == [{"type": "lifespan.startup.complete"}]
