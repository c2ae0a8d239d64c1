"""A station's transaction messages waiting for an answer: oldest first, bounded, re-sent later.

Both versions ask a station to deliver its transaction messages in order and to send one again
when the CSMS did not answer it or answered CALLERROR InternalError (1.6 TransactionMessageAttempts
and TransactionMessageRetryInterval, 2.0.1 MessageAttempts and MessageAttemptInterval). This is
only the bookkeeping; station.py sends. No I/O, no clock: callers pass the times.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Payload = dict[str, Any]
# A held message (a 1.6 StopTransaction) ignores --tx-attempts; this still bounds it in count,
# as --duration bounds it in time.
HELD_ATTEMPTS_MAX = 1000


@dataclass(eq=False)
class Message:
    """One transaction message. `build` makes the payload at each send (a 1.6 MeterValues learns its
    transactionId from the StartTransaction answered before it); None means it can no longer be sent.
    """

    action: str
    build: Callable[[], Payload | None]
    on_result: Callable[[Payload], None] | None = None
    held: bool = False  # kept until answered, however many attempts it takes
    periodic: bool = False  # a periodic meter reading: the first to go when the queue is full
    attempts: int = 0
    due: float = 0.0  # loop time before which it is not sent again


class Outbox:
    def __init__(self, *, limit: int, attempts: int) -> None:
        self.limit = limit
        self.attempts = attempts
        self._queue: deque[Message] = deque()

    def __len__(self) -> int:
        return len(self._queue)

    def head(self) -> Message | None:
        return self._queue[0] if self._queue else None

    def add(self, message: Message) -> Message | None:
        """Queue `message`; return the message dropped to make room, if any (maybe `message` itself).

        A full queue drops its oldest periodic meter reading; with none, the newcomer is refused.
        """
        dropped = None
        if len(self._queue) >= self.limit:
            dropped = next((m for m in self._queue if m.periodic), message)
            if dropped is message:
                return message
            self._queue.remove(dropped)
        self._queue.append(message)
        return dropped

    def pop(self) -> Message:
        return self._queue.popleft()

    def failed(self, message: Message, *, retry_at: float) -> bool:
        """Count a failed attempt: True when it stays queued for `retry_at`, False when dropped."""
        message.attempts += 1
        limit = HELD_ATTEMPTS_MAX if message.held else self.attempts
        if message.attempts >= limit:
            self._queue.remove(message)
            return False
        message.due = retry_at
        return True

    def due_now(self, now: float) -> None:
        """After a reconnect every queued message goes out again at once, in order."""
        for message in self._queue:
            message.due = now

    def __iter__(self):
        return iter(self._queue)

    def actions(self) -> list[str]:
        return [m.action for m in self._queue]
