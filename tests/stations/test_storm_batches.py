"""A boot storm's BootNotifications and StatusNotifications are stored a batch at once, and store and answer exactly
what the message-by-message path does; a connect reads and writes the station in two statements and still sends what
was queued for it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from csms.dispatch import handle_envelopes, handle_one
from stations import services
from stations.choices import CommandStatus, Registration
from stations.models import ChargingStation, Command, Connector
from stations.services import issue_command, lifecycle
from tests.support.envelopes import call, connect, send
from tests.support.factories import StationFactory
from webhooks.choices import Event
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

EARLY, T1, T2 = "2025-03-01T09:00:00Z", "2025-03-01T10:00:00Z", "2025-03-01T11:00:00Z"
BOOT = {
    "1.6": {"chargePointVendor": "Alfen BV", "chargePointModel": "NG920", "chargePointSerialNumber": "ACE1",
            "chargeBoxSerialNumber": "BOX-7", "firmwareVersion": "6.1", "iccid": "8931", "imsi": "2040",
            "meterType": "ABB", "meterSerialNumber": "MTR-9"},
    "2.0.1": {"reason": "PowerUp", "chargingStation": {
        "vendorName": "Alfen BV", "model": "NG920", "serialNumber": "A", "firmwareVersion": "6.1",
        "modem": {"iccid": "89", "imsi": "2"}}},
}
STATION_FIELDS = ["vendor", "model", "serial_number", "charge_box_serial_number", "firmware_version", "iccid", "imsi",
                  "meter_type", "meter_serial_number", "ocpp_version", "boot_status", "last_boot_at", "online",
                  "last_seen", "status", "error_code", "status_at"]
CONNECTOR_FIELDS = ["evse_id", "connector_id", "status", "error_code", "info", "vendor_id", "vendor_error_code",
                    "status_at"]
versions = pytest.mark.parametrize("version", ["1.6", "2.0.1"])


def status(station, version, number, state, timestamp, **extra):
    if version == "1.6":
        payload = {"connectorId": number, "errorCode": "NoError", "status": state, "timestamp": timestamp} | extra
    else:
        payload = {"timestamp": timestamp, "connectorStatus": state, "evseId": number, "connectorId": 1}
    return call(station, version, "StatusNotification", payload, at=timestamp)


def stored(station):
    row = ChargingStation.objects.values(*STATION_FIELDS).get(pk=station.pk)
    connectors = list(Connector.objects.filter(station=station).order_by("evse_id").values(*CONNECTOR_FIELDS))
    return row, connectors


def announced(station):
    deliveries = WebhookDelivery.objects.filter(payload__station_id=station.station_id).order_by("pk")
    return [{k: v for k, v in d.payload.items() if k != "station_id"} for d in deliveries]


@pytest.fixture
def batched(monkeypatch):
    """How many messages each set-based call stored (boots and statuses alike)."""
    sizes = []
    for name in ("record_boots", "record_statuses"):
        real = getattr(lifecycle, name)

        def counting(real=real, **kwargs):
            done = real(**kwargs)
            sizes.append(sum(1 for d in done if d))
            return done

        monkeypatch.setattr(lifecycle, name, counting)  # record_boot and record_status call through the module
        monkeypatch.setattr(services, name, counting)  # the OCPP handlers through the package
    return sizes


@pytest.fixture
def subscribed(db):
    return WebhookEndpoint.objects.create(url="https://hooks.example.invalid/csms",
                                          events=[Event.STATION_STATUS_CHANGED])


def storm(version):
    """A station's storm, step by step: boot, both connectors, a late report of an older state, a newer state, and
    (1.6) the station's own status with an older one after it."""
    occupied = "Charging" if version == "1.6" else "Occupied"
    steps = [lambda s: call(s, version, "BootNotification", BOOT[version], at=T1),
             lambda s: status(s, version, 1, "Available", T1),
             lambda s: status(s, version, 2, "Available", T1),
             lambda s: status(s, version, 1, "Faulted", EARLY),
             lambda s: status(s, version, 1, occupied, T2),
             lambda s: status(s, version, 2, "Available", T2)]
    if version == "1.6":
        steps += [lambda s: status(s, version, 0, "Unavailable", T2, info="ignored for the station"),
                  lambda s: status(s, version, 0, "Available", EARLY)]
    return steps


@versions
def test_a_storm_in_batches_stores_and_announces_what_one_message_at_a_time_does(version, subscribed, batched):
    one = StationFactory(station_id=f"one-{version}")
    many = [StationFactory(station_id=f"many-{version}-{i}") for i in range(3)]

    for step in storm(version):
        alone = handle_one(step(one).to_dict())
        together = handle_envelopes([step(s).to_dict() for s in many])
        assert {r["kind"] for r in together} == {alone.kind} == {"result"}
        assert [{k: v for k, v in r["payload"].items() if k != "currentTime"} for r in together] == \
            [{k: v for k, v in alone.payload.items() if k != "currentTime"}] * 3

    for station in many:
        assert stored(station) == stored(one)
        assert announced(station) == announced(one)
    assert batched == [1, 3] * len(storm(version))  # each step: the lone station's message, then the three as one set


@versions
@pytest.mark.parametrize("registration", list(Registration))
def test_a_batch_of_boots_answers_each_station_its_registration(version, registration):
    stations = [StationFactory(registration=registration), StationFactory(registration=Registration.ACCEPTED)]

    replies = handle_envelopes([call(s, version, "BootNotification", BOOT[version]).to_dict() for s in stations])

    assert [r["payload"]["status"] for r in replies] == [registration.value, "Accepted"]
    assert [s.boot_status for s in ChargingStation.objects.order_by("pk")] == [registration, "Accepted"]


@versions
def test_an_unknown_station_in_a_batch_is_refused_and_the_others_are_stored(version):
    station = StationFactory()
    envelopes = [call("CP-NOBODY", version, "BootNotification", BOOT[version]).to_dict(),
                 call(station, version, "BootNotification", BOOT[version]).to_dict(),
                 status("CP-NOBODY-2", version, 1, "Available", T1).to_dict()]

    replies = handle_envelopes(envelopes)

    assert [(r["kind"], r["payload"].get("code")) for r in replies] == [
        ("error", "SecurityError"), ("result", None), ("error", "SecurityError")]
    assert ChargingStation.objects.get(pk=station.pk).boot_status == Registration.ACCEPTED
    assert not ChargingStation.objects.filter(station_id__startswith="CP-NOBODY").exists()


def test_a_command_queued_while_the_station_was_away_goes_out_when_it_connects(station):
    send(connect(station, conn="sock-1"))
    send(call(station, "1.6", "BootNotification", BOOT["1.6"]))  # an OCPP version is known: commands can be issued
    station.refresh_from_db()
    station.online = False
    station.save()
    waiting = issue_command(station_id=station.station_id, action="Reset", payload={"type": "Soft"},
                            queue_for=timedelta(hours=1))
    expired = issue_command(station_id=station.station_id, action="Reset", payload={"type": "Hard"},
                            queue_for=timedelta(hours=1))
    Command.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert send(connect(station, conn="sock-2"))["payload"]["accepted"] is True

    waiting.refresh_from_db()
    expired.refresh_from_db()
    assert (waiting.status, waiting.conn) == (CommandStatus.SENT, "sock-2")
    assert expired.status == CommandStatus.EXPIRED


def test_a_connect_leaves_the_station_fields_it_does_not_own_alone(station):
    send(call(station, "2.0.1", "BootNotification", BOOT["2.0.1"], at=T1))
    before = ChargingStation.objects.values().get(pk=station.pk)

    send(connect(station, "2.0.1", conn="sock-9", at=T2))

    after = ChargingStation.objects.values().get(pk=station.pk)
    changed = {k for k in after if after[k] != before[k]}
    assert changed == {"node_id", "conn", "last_seen", "updated_at"}  # online and the version were already so
    assert after["conn"] == "sock-9"


# The same on PostgreSQL, where the batches write with UPDATE ... FROM unnest(...) and a connect's owner and log row
# go in one statement (./dev test's second pass runs these).
@pytest.mark.postgres
@versions
def test_on_postgresql_a_storm_in_batches_stores_what_one_message_at_a_time_does(version, subscribed, batched):
    test_a_storm_in_batches_stores_and_announces_what_one_message_at_a_time_does(version, subscribed, batched)


@pytest.mark.postgres
def test_on_postgresql_a_queued_command_goes_out_when_the_station_connects(station):
    test_a_command_queued_while_the_station_was_away_goes_out_when_it_connects(station)


@pytest.mark.postgres
def test_on_postgresql_a_connect_leaves_the_station_fields_it_does_not_own_alone(station):
    test_a_connect_leaves_the_station_fields_it_does_not_own_alone(station)
