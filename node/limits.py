"""What a node holds itself to: open files, connections per node, messages per station, log lines under a storm."""

from __future__ import annotations

import logging
import resource
import time

FD_MARGIN = 512  # descriptors kept for everything but station sockets (broker, logs, DNS, sockets being closed)
_UNLIMITED_FILES = 1 << 20  # where the hard limit is "unlimited", ask for this (Linux's default nr_open)


def open_file_limit() -> int:
    """The soft RLIMIT_NOFILE now ("unlimited" read as a large number)."""
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return _UNLIMITED_FILES if soft == resource.RLIM_INFINITY else soft


def raise_open_file_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit (a process may always do that); returns the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = _UNLIMITED_FILES if hard == resource.RLIM_INFINITY else hard
    if soft == resource.RLIM_INFINITY or soft >= target:
        return _UNLIMITED_FILES if soft == resource.RLIM_INFINITY else soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError) as exc:  # a container may forbid it; the lower limit then holds
        logging.getLogger(__name__).warning("could not raise the open-file limit from %d to %d: %s", soft, target,
                                            exc)
        return soft
    return target


def max_connections(configured: int, open_files: int) -> int:
    """Stations a node holds at once: `configured`, or (0) the open-file limit minus a margin."""
    return configured if configured > 0 else max(1, open_files - FD_MARGIN)


class TokenBucket:
    """`rate` messages a second on average, `burst` at once. Kept as three floats: there is one per socket.

    Refused messages fill a second bucket, `excess`, that drains at `rate`; a sender whose refusals outrun that
    (more than twice the rate, sustained) fills it to `burst` and is `flooding`.
    """

    __slots__ = ("tokens", "stamp", "excess")

    def __init__(self, burst: float, now: float) -> None:
        self.tokens, self.stamp, self.excess = float(burst), now, 0.0

    def take(self, rate: float, burst: float, now: float) -> bool:
        """Spend one token; False when there is none (the message is refused and counts as excess)."""
        elapsed, self.stamp = now - self.stamp, now
        refill = elapsed * rate
        self.tokens = min(burst, self.tokens + refill)
        self.excess = max(0.0, self.excess - refill)
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        self.excess += 1
        return False

    def flooding(self, burst: float) -> bool:
        return self.excess >= burst


class ThrottledLog:
    """One log line per `every` seconds for a repeated event, with how many were folded into it."""

    def __init__(self, logger: logging.Logger, every: float = 10.0) -> None:
        self.logger, self.every = logger, every
        self.last = float("-inf")
        self.folded = 0

    def warning(self, message: str, *args) -> None:
        now = time.monotonic()
        if now - self.last < self.every:
            self.folded += 1
            return
        folded, self.folded, self.last = self.folded, 0, now
        suffix = f" (and {folded} more like it in the last {self.every:g}s)" if folded else ""
        self.logger.warning(message + suffix, *args)
