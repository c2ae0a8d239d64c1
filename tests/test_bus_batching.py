"""The node side of batching: envelopes gathered into one send, each caller answered with its own replies,
a failed send reported to every caller (nothing silently dropped), and a batch's replies carried as one message."""

import asyncio

import pytest

from csms import amqp
from csms.bus import Batcher, BusUnavailable, await_replies
from csms.envelope import Envelope


def env(n: int) -> Envelope:
    return Envelope(kind="call", station=f"CP-{n}", node="node-a", conn=f"c{n}", ocpp="1.6", id=f"m{n}",
                    action="Heartbeat", payload={})


class Central:
    """Answers each envelope with its own id after `delay`; records the batches it was sent."""

    def __init__(self, fail: Exception | None = None, delay: float = 0.0):
        self.batches: list[list[str]] = []
        self.fail, self.delay = fail, delay

    async def send(self, items):
        self.batches.append([e.id for e, _ in items])
        await asyncio.sleep(self.delay)
        if self.fail:
            raise self.fail
        for e, future in items:
            if not future.done():
                future.set_result(e.reply("result", {"echo": e.id}))


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 5))


async def submit(batcher, *envelopes, timeout=2.0):
    loop = asyncio.get_running_loop()
    items = [(e, loop.create_future()) for e in envelopes]
    batcher.add(items)
    return await await_replies([f for _, f in items], timeout)


def test_calls_made_within_the_window_travel_in_one_batch_and_each_gets_its_own_reply():
    central = Central()

    async def scenario():
        batcher = Batcher(central.send, window=0.05, limit=100, in_flight=4)
        return await asyncio.gather(submit(batcher, env(1)), submit(batcher, env(2), env(3)), submit(batcher, env(4)))

    replies = run(scenario())

    assert central.batches == [["m1", "m2", "m3", "m4"]]
    assert [[r.payload["echo"] for r in part] for part in replies] == [["m1"], ["m2", "m3"], ["m4"]]


def test_a_full_batch_leaves_at_once_without_waiting_for_the_window():
    central = Central()

    async def scenario():
        batcher = Batcher(central.send, window=30, limit=3, in_flight=4)  # a window the test would time out on
        return await asyncio.gather(*(submit(batcher, env(i)) for i in range(6)))

    run(scenario())

    assert central.batches == [["m0", "m1", "m2"], ["m3", "m4", "m5"]]


def test_a_failed_send_is_reported_to_every_caller_of_the_batch_as_central_unavailable():
    central = Central(fail=ConnectionError("broker gone"))

    async def scenario():
        batcher = Batcher(central.send, window=0.01, limit=100, in_flight=4)
        return await asyncio.gather(submit(batcher, env(1)), submit(batcher, env(2)), return_exceptions=True)

    results = run(scenario())

    assert [type(r) for r in results] == [BusUnavailable, BusUnavailable]


def test_a_caller_that_gives_up_does_not_disturb_the_others_in_its_batch():
    central = Central(delay=0.2)

    async def scenario():
        batcher = Batcher(central.send, window=0.01, limit=100, in_flight=4)
        impatient = submit(batcher, env(1), timeout=0.05)
        patient = submit(batcher, env(2))
        return await asyncio.gather(impatient, patient, return_exceptions=True)

    impatient, patient = run(scenario())

    assert isinstance(impatient, BusUnavailable)
    assert [r.payload for r in patient] == [{"echo": "m2"}]
    assert central.batches == [["m1", "m2"]]


def test_while_central_is_busy_the_next_batch_grows_and_leaves_as_soon_as_a_slot_frees():
    central = Central(delay=0.2)

    async def scenario():
        batcher = Batcher(central.send, window=0.005, limit=100, in_flight=1)
        first = asyncio.ensure_future(submit(batcher, env(0)))
        await asyncio.sleep(0.05)  # batch 1 is at central; these four wait for its slot, well past the window
        rest = [asyncio.ensure_future(submit(batcher, env(i))) for i in range(1, 5)]
        await asyncio.sleep(0.05)
        waiting_batches = len(central.batches)
        await asyncio.gather(first, *rest)
        return waiting_batches

    waiting_batches = run(scenario())

    assert waiting_batches == 1  # nothing left while the only slot was taken
    assert central.batches == [["m0"], ["m1", "m2", "m3", "m4"]]


def test_batches_after_a_failed_one_go_out_normally():
    central = Central(fail=ConnectionError("broker gone"))

    async def scenario():
        batcher = Batcher(central.send, window=0.01, limit=100, in_flight=4)
        with pytest.raises(BusUnavailable):
            await submit(batcher, env(1))
        central.fail = None
        return await submit(batcher, env(2))

    [reply] = run(scenario())

    assert reply.payload == {"echo": "m2"}


def test_a_zero_window_sends_each_submission_at_once():
    central = Central()

    async def scenario():
        batcher = Batcher(central.send, window=0, limit=100, in_flight=4)
        await submit(batcher, env(1))
        await submit(batcher, env(2))

    run(scenario())

    assert central.batches == [["m1"], ["m2"]]


def test_a_node_whose_publish_fails_tells_its_callers_at_once_not_after_the_timeout(monkeypatch, settings):
    settings.OCPP_CALL_TIMEOUT = 30

    def broker_down(bodies, expires):
        raise ConnectionError("connection refused")

    async def scenario():
        transport = amqp.AmqpTransport()
        transport._ready.set()
        monkeypatch.setattr(transport, "_send", broker_down)
        try:
            with pytest.raises(BusUnavailable, match="could not publish"):
                await transport.request([env(1), env(2)], timeout=30)
        finally:
            transport._publisher.shutdown(wait=False)

    run(scenario())  # run() gives up after 5 s: the failure must come from the publish, not the 30 s wait


def test_a_batchs_replies_go_to_each_node_as_one_message(monkeypatch):
    sent = []
    monkeypatch.setattr(amqp, "_publish", lambda body, *, exchange, routing_key: sent.append((routing_key, body)))
    replies = [env(1).reply("result", {}).to_dict() | {"node": n} for n in ("node-a", "node-b", "node-a")]

    amqp.publish_replies(replies)

    assert [(key, len(body) if isinstance(body, list) else 1) for key, body in sent] == [("node-a", 2), ("node-b", 1)]


def test_the_node_hands_every_reply_of_a_batch_message_to_its_waiting_caller():
    async def scenario():
        transport = amqp.AmqpTransport()
        loop = asyncio.get_running_loop()
        transport._loop = loop
        waiting = {(f"c{i}", f"m{i}"): loop.create_future() for i in (1, 2)}
        transport._pending.update(waiting)

        class Message:
            acked = False

            def ack(self):
                self.acked = True

        message = Message()
        body = [env(1).reply("result", {"n": 1}).to_dict(), {"kind": "nonsense"}, env(2).reply("result", {"n": 2})
                .to_dict()]
        await asyncio.to_thread(transport._on_message, body, message)  # the consumer thread's call
        got = await asyncio.gather(*waiting.values())
        transport._publisher.shutdown(wait=False)
        return message.acked, [r.payload for r in got]

    acked, payloads = run(scenario())

    assert acked and payloads == [{"n": 1}, {"n": 2}]
