"""A message that keeps failing is dead-lettered after BUS_REDELIVERY_LIMIT redeliveries, not looped forever."""

import subprocess
import sys

from tests.support.processes import ROOT

PROBE = """
import os, time, django
os.environ["DJANGO_SETTINGS_MODULE"] = "csms.settings"
django.setup()
from kombu import Connection
from csms.celery import DEAD_QUEUE, app

central = app.conf.task_queues[0]
with Connection(os.environ["BROKER_URL"]) as conn:
    channel = conn.default_channel
    DEAD_QUEUE(channel).declare()
    bound = central(channel)
    bound.declare()
    conn.Producer(channel).publish({"poison": True}, exchange=central.exchange, routing_key=central.routing_key,
                                   delivery_mode=2)
    deliveries, dead, deadline = 0, None, time.monotonic() + 20
    while dead is None and time.monotonic() < deadline:  # bounded: 20 s at most
        message = bound.get(no_ack=False)
        if message is not None:
            deliveries += 1
            message.reject(requeue=True)  # what a worker dying mid-task amounts to
        else:
            time.sleep(0.05)
        dead = DEAD_QUEUE(channel).get(no_ack=True)
    print("DELIVERIES", deliveries, "DEAD", dead.payload if dead else None)
"""


def test_a_message_redelivered_past_the_limit_goes_to_the_dead_letter_queue(stack):
    env = {**stack.env, "BUS_REDELIVERY_LIMIT": "3"}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    # The first delivery plus three redeliveries, then RabbitMQ dead-letters it.
    assert "DELIVERIES 4 DEAD {'poison': True}" in result.stdout
