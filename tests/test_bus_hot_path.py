"""What the node does for every call on the bus, made cheap without changing what it means: waiting for replies
(in time, too late, or given up by the caller, every future settled each way) and publishing a batch."""

import asyncio
import gc

import pytest

from csms import amqp
from csms.bus import BusUnavailable, await_replies
from csms.envelope import Envelope


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 5))


def reply(n: int) -> Envelope:
    return Envelope(kind="result", station=f"CP-{n}", node="node-a", conn=f"c{n}", ocpp="1.6", id=f"m{n}")


@pytest.mark.parametrize("count", [1, 3])
def test_replies_given_in_time_come_back_in_request_order(count):
    async def scenario():
        loop = asyncio.get_running_loop()
        futures = [loop.create_future() for _ in range(count)]
        for n, future in reversed(list(enumerate(futures))):
            loop.call_soon(future.set_result, reply(n))
        return await await_replies(futures, timeout=1)

    assert [r.id for r in run(scenario())] == [f"m{n}" for n in range(count)]


@pytest.mark.parametrize("count", [1, 3])
def test_central_silent_past_the_timeout_fails_the_request_and_settles_every_future(count):
    async def scenario():
        loop = asyncio.get_running_loop()
        futures = [loop.create_future() for _ in range(count)]
        with pytest.raises(BusUnavailable, match=r"^central did not answer within 0.05s$"):
            await await_replies(futures, timeout=0.05)
        return futures

    futures = run(scenario())
    assert all(f.done() for f in futures)  # what frees the batch's slot (csms.bus.Batcher)


def test_a_partly_answered_request_that_times_out_leaves_no_unretrieved_exception():
    unretrieved = []

    async def scenario():
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _, context: unretrieved.append(context["message"]))
        futures = [loop.create_future() for _ in range(3)]
        futures[1].set_result(reply(1))
        with pytest.raises(BusUnavailable):
            await await_replies(futures, timeout=0.05)
        del futures
        gc.collect()  # an exception never retrieved is reported when its future is collected

    run(scenario())
    assert unretrieved == []


@pytest.mark.parametrize("count", [1, 3])
def test_a_caller_that_gives_up_cancels_its_futures(count):
    async def scenario():
        loop = asyncio.get_running_loop()
        futures = [loop.create_future() for _ in range(count)]
        waiting = asyncio.create_task(await_replies(futures, timeout=10))
        await asyncio.sleep(0)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        return futures

    assert all(f.cancelled() for f in run(scenario()))


def test_a_batch_is_published_with_a_short_repr_of_its_arguments(monkeypatch):
    from csms.celery import app

    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, **options: sent.append((name, options)))
    bodies = [reply(n).to_dict() for n in range(3)]

    amqp.AmqpTransport._send(bodies, 10.0)

    [(name, options)] = sent
    assert (name, options["args"], options["expires"]) == (amqp.TASK, [bodies], 10.0)
    assert (options["argsrepr"], options["kwargsrepr"]) == ("[<3 envelopes>]", "{}")
