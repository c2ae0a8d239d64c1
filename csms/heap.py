"""Python's cyclic garbage collector in a long-running server process (a node, a Celery worker).

A full collection walks every tracked object. Once started, a worker holds about 140,000 (modules, Django's app
registry and ORM metadata, the ocpp library's schemas), and under load a full collection took 50-95 ms: a pause
that every message of the batch in hand, and of the batch waiting behind it, sat out (GC callbacks timed it in
`manage.py bench`). Those objects live as long as the process, so they are moved out of the collector's reach
once start-up is done; collections then walk only what was made since.
"""

import gc


def settle() -> None:
    """Collect what start-up left behind, then exempt everything alive now from later collections."""
    gc.collect()
    gc.freeze()
