"""The embedded process runs central's periodic jobs itself (no Celery beat there), on beat's own schedule."""

import asyncio
from datetime import timedelta

import pytest
from django.utils import timezone

from csms import periodic
from csms.celery import app
from tests.support.transaction_factories import TransactionFactory


def test_the_embedded_schedule_is_celery_beats_schedule():
    app.loader.import_default_modules()
    assert set(app.conf.beat_schedule) >= {"mark-silent-nodes-offline", "flag-stale-transactions"}
    assert all(entry["task"] in app.tasks for entry in app.conf.beat_schedule.values())


@pytest.mark.django_db(transaction=True)
def test_embedded_periodic_jobs_flag_a_silent_session(monkeypatch, settings):
    settings.TRANSACTION_STALE_AFTER = 60
    silent = TransactionFactory(last_message_at=timezone.now() - timedelta(hours=1))
    monkeypatch.setitem(app.conf, "beat_schedule",
                        {"flag-stale-transactions": {"task": "transactions.flag_stale_transactions", "schedule": 0.05}})

    async def run_for_a_moment():
        await periodic.start()
        try:
            for _ in range(100):  # bounded: 5 s at most
                await asyncio.sleep(0.05)
                if await asyncio.to_thread(lambda: type(silent).objects.get(pk=silent.pk).stale):
                    return True
            return False
        finally:
            await periodic.stop()

    assert asyncio.run(run_for_a_moment())
