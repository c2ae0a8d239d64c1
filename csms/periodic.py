"""Central's periodic jobs inside the one embedded process, where no Celery beat runs.

The schedule is csms/celery.py's beat_schedule, so both modes run the same jobs at the same
intervals; each job is the same Celery task, called in a worker thread (the ORM is sync).
"""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import sync_to_async

log = logging.getLogger(__name__)
_loops: list[asyncio.Task] = []


async def _every(name: str, task, seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            await sync_to_async(task, thread_sensitive=False)()
        except Exception:  # one failed run must not end the schedule
            log.exception("periodic job %s failed", name)


WAITING_COMMANDS = 0.5  # seconds between looks for commands issued by other processes


def _send_waiting_commands() -> int:
    from django.db import transaction
    from django.utils import timezone

    from stations import services

    with transaction.atomic(durable=True):
        return services.send_waiting_commands(at=timezone.now())


async def start() -> None:
    from csms.celery import app

    app.loader.import_default_modules()  # runs the lazy autodiscovery that registers the tasks
    for name, entry in app.conf.beat_schedule.items():
        _loops.append(asyncio.create_task(_every(name, app.tasks[entry["task"]], float(entry["schedule"]))))
    # Only here: commands a management command stored for stations this process holds.
    _loops.append(asyncio.create_task(_every("send-waiting-commands", _send_waiting_commands, WAITING_COMMANDS)))
    log.info("embedded periodic jobs: %s", ", ".join([*app.conf.beat_schedule, "send-waiting-commands"]))


async def stop() -> None:
    for loop in _loops:
        loop.cancel()
    _loops.clear()
