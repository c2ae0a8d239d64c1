"""BootNotification in both versions, through central's entry point: what is stored and what is answered."""

import re
from datetime import datetime

import pytest

from node import schemas
from stations.choices import Registration
from stations.models import ChargingStation
from tests.support.envelopes import call, send
from tests.support.factories import StationFactory

pytestmark = pytest.mark.django_db

AT = "2025-03-01T08:00:00.000Z"
RFC3339_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")
BOOT = {
    "1.6": {
        "chargePointVendor": "Alfen BV", "chargePointModel": "NG920-61001",
        "chargePointSerialNumber": "ACE0123456", "chargeBoxSerialNumber": "BOX-77",
        "firmwareVersion": "6.1.0-4157", "iccid": "8931081234567890123", "imsi": "204080123456789",
        "meterType": "ABB B23", "meterSerialNumber": "MTR-9",
    },
    "2.0.1": {
        "reason": "PowerUp",
        "chargingStation": {
            "vendorName": "Alfen BV", "model": "NG920-61001", "serialNumber": "ACE0123456",
            "firmwareVersion": "6.1.0-4157", "modem": {"iccid": "8931081234567890123", "imsi": "204080123456789"},
        },
    },
}
STORED = {
    "1.6": {"vendor": "Alfen BV", "model": "NG920-61001", "serial_number": "ACE0123456",
            "charge_box_serial_number": "BOX-77", "firmware_version": "6.1.0-4157", "iccid": "8931081234567890123",
            "imsi": "204080123456789", "meter_type": "ABB B23", "meter_serial_number": "MTR-9"},
    "2.0.1": {"vendor": "Alfen BV", "model": "NG920-61001", "serial_number": "ACE0123456",
              "charge_box_serial_number": "", "firmware_version": "6.1.0-4157", "iccid": "8931081234567890123",
              "imsi": "204080123456789", "meter_type": "", "meter_serial_number": ""},
}
versions = pytest.mark.parametrize("version", ["1.6", "2.0.1"])


def boot(station, version, at=AT):
    return send(call(station, version, "BootNotification", BOOT[version], at=at))


@versions
def test_the_identity_the_station_reports_is_stored(station, version):
    boot(station, version)

    station.refresh_from_db()
    assert {name: getattr(station, name) for name in STORED[version]} == STORED[version]
    assert (station.ocpp_version, station.online) == (version, True)
    assert station.last_boot_at == station.last_seen == datetime.fromisoformat(AT)


@versions
def test_a_minimal_boot_stores_vendor_and_model_and_blanks_the_rest(version):
    station = StationFactory(vendor="Old vendor", firmware_version="0.9")
    payload = ({"chargePointVendor": "V", "chargePointModel": "M"} if version == "1.6"
               else {"reason": "PowerUp", "chargingStation": {"vendorName": "V", "model": "M"}})

    send(call(station, version, "BootNotification", payload))

    station.refresh_from_db()
    assert (station.vendor, station.model, station.firmware_version, station.iccid) == ("V", "M", "", "")


@versions
def test_a_station_is_accepted_by_default(station, version):
    reply = boot(station, version)

    assert (reply["kind"], reply["payload"]["status"]) == ("result", "Accepted")


@versions
@pytest.mark.parametrize("registration", [Registration.PENDING, Registration.REJECTED])
def test_the_answer_is_the_registration_the_operator_set(version, registration):
    station = StationFactory(registration=registration)

    reply = boot(station, version)

    assert reply["payload"]["status"] == registration.value
    station.refresh_from_db()
    assert station.boot_status == registration


@versions
def test_the_heartbeat_interval_is_the_configured_one(station, version, settings):
    settings.HEARTBEAT_INTERVAL = 45

    reply = boot(station, version)

    assert reply["payload"]["interval"] == 45


@versions
def test_current_time_is_rfc3339_utc_ending_in_z(station, version):
    reply = boot(station, version)

    assert RFC3339_UTC.fullmatch(reply["payload"]["currentTime"]), reply["payload"]["currentTime"]


@versions
@pytest.mark.parametrize("registration", list(Registration))
def test_the_answer_passes_the_official_response_schema(version, registration):
    station = StationFactory(registration=registration)

    reply = boot(station, version)

    schemas.validate(version, "BootNotification", reply["payload"], response=True)


@versions
def test_an_unknown_station_gets_a_security_error_and_no_row(db, version):
    reply = boot("CP-NOBODY", version)

    assert (reply["kind"], reply["payload"]["code"]) == ("error", "SecurityError")
    assert not ChargingStation.objects.filter(station_id="CP-NOBODY").exists()


@versions
def test_a_resent_boot_changes_nothing_more(station, version):
    envelope = call(station, version, "BootNotification", BOOT[version], at=AT)
    first = send(envelope)
    stored = ChargingStation.objects.values().get(pk=station.pk)

    second = send(envelope)

    assert second["payload"]["status"] == first["payload"]["status"] == "Accepted"
    assert ChargingStation.objects.count() == 1
    assert ChargingStation.objects.values().get(pk=station.pk) | {"updated_at": None} == stored | {"updated_at": None}
