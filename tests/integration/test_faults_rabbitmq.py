"""RabbitMQ stopped and started under a charging fleet: nodes and worker reconnect, nothing told "stored" is lost.

The broker is one of this test's own (tests/support/outages.py): stopping the machine's would also stop every
other test and the benchmark that share it.
"""

import pytest

from tests.integration.restart_under_load import run_fleet_through_restart

pytestmark = [pytest.mark.integration, pytest.mark.faults]


@pytest.mark.timeout(90)
def test_rabbitmq_restarted_under_load(own_rabbitmq, stack):
    stack.use_broker(own_rabbitmq.url)
    run_fleet_through_restart(stack, prefix="CP-MQ", stop=own_rabbitmq.stop_app, start=own_rabbitmq.start_app,
                              down_for=4.0, what="broker")
