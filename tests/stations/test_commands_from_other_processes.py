"""Embedded mode: a command issued by another process (manage.py send_command) waits in the database for the
server process, which holds the node, to send it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from stations import services
from stations.choices import CommandStatus
from tests.support.factories import NodeFactory, StationFactory

pytestmark = pytest.mark.django_db


def online_station():
    return StationFactory(ocpp_version="1.6", online=True, node=NodeFactory(node_id="embedded"), conn="c-1")


def test_a_process_without_the_node_leaves_the_command_for_the_server(settings):
    station = online_station()

    command = services.issue_command(station_id=station.station_id, action="ClearCache", payload={})

    assert command.status == CommandStatus.PENDING
    assert command.expires_at - timezone.now() <= timedelta(seconds=settings.OCPP_CALL_TIMEOUT)


def test_the_server_sends_waiting_commands_of_online_stations_and_expires_stale_ones():
    station = online_station()
    fresh = services.issue_command(station_id=station.station_id, action="ClearCache", payload={})
    stale = services.issue_command(station_id=station.station_id, action="ClearCache", payload={})
    stale.expires_at = timezone.now() - timedelta(seconds=1)
    stale.save()

    assert services.send_waiting_commands(at=timezone.now()) == 1

    fresh.refresh_from_db(), stale.refresh_from_db()
    assert (fresh.status, fresh.node_id, fresh.conn) == (CommandStatus.SENT, "embedded", "c-1")
    assert stale.status == CommandStatus.EXPIRED
