"""StatusNotification in both versions: where each status lands, and which report wins."""

from datetime import datetime

import pytest
from ocpp.v16.enums import ChargePointErrorCode, ChargePointStatus
from ocpp.v201.enums import ConnectorStatusEnumType

from node import schemas
from stations.choices import ConnectorStatus
from stations.models import Connector
from tests.support.envelopes import call, send
from tests.support.factories import ConnectorFactory, StationFactory

pytestmark = pytest.mark.django_db

EARLY, LATE = "2025-03-01T10:00:00Z", "2025-03-01T11:00:00Z"


def status_16(station, connector_id, status, *, error="NoError", timestamp=LATE, **extra):
    payload = {"connectorId": connector_id, "errorCode": error, "status": status, "timestamp": timestamp} | extra
    return send(call(station, "1.6", "StatusNotification", payload))


def status_201(station, evse_id, connector_id, status, *, timestamp=LATE):
    payload = {"timestamp": timestamp, "connectorStatus": status, "evseId": evse_id, "connectorId": connector_id}
    return send(call(station, "2.0.1", "StatusNotification", payload))


def test_connector_0_in_16_is_the_station_itself(station):
    status_16(station, 0, "Faulted", error="GroundFailure")

    station.refresh_from_db()
    assert (station.status, station.error_code, station.status_at) == (
        ConnectorStatus.FAULTED, "GroundFailure", datetime.fromisoformat(LATE))
    assert not Connector.objects.exists()


def test_no_error_in_16_is_stored_as_no_error_code():
    station = StationFactory(error_code="GroundFailure")

    status_16(station, 0, "Available", error="NoError")

    station.refresh_from_db()
    assert station.error_code == ""


def test_connector_n_in_16_becomes_evse_n_with_connector_1(station):
    status_16(station, 2, "Charging")

    connector = Connector.objects.get(station=station)
    assert (connector.evse_id, connector.connector_id, connector.status) == (2, 1, ConnectorStatus.CHARGING)


def test_a_second_report_updates_the_same_connector_row(station):
    status_16(station, 1, "Preparing", timestamp=EARLY)
    status_16(station, 1, "Charging", timestamp=LATE)

    assert list(Connector.objects.values_list("evse_id", "connector_id", "status")) == [
        (1, 1, ConnectorStatus.CHARGING)]


def test_evse_and_connector_in_201_map_directly(station):
    status_201(station, 3, 2, "Occupied")

    connector = Connector.objects.get(station=station)
    assert (connector.evse_id, connector.connector_id, connector.status) == (3, 2, ConnectorStatus.OCCUPIED)


@pytest.mark.parametrize("status", list(ChargePointStatus), ids=str)
def test_every_16_status_is_stored_under_its_own_name(station, status):
    status_16(station, 1, status.value)

    stored = Connector.objects.get(station=station).status
    assert stored in ConnectorStatus.values
    assert stored == status.value


@pytest.mark.parametrize("status", list(ConnectorStatusEnumType), ids=str)
def test_every_201_status_is_stored_under_its_own_name(station, status):
    status_201(station, 1, 1, status.value)

    stored = Connector.objects.get(station=station).status
    assert stored in ConnectorStatus.values
    assert stored == status.value


def report(station, version, status, *, timestamp=LATE):
    """A status for the first connector, spelled the way each version spells it."""
    if version == "1.6":
        return status_16(station, 1, status, timestamp=timestamp)
    return status_201(station, 1, 1, status, timestamp=timestamp)


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_an_older_report_does_not_overwrite_a_newer_connector_status(station, version):
    report(station, version, "Faulted", timestamp=LATE)

    report(station, version, "Available", timestamp=EARLY)

    connector = Connector.objects.get(station=station)
    assert (connector.status, connector.status_at) == (ConnectorStatus.FAULTED, datetime.fromisoformat(LATE))


def test_an_older_report_does_not_overwrite_a_newer_station_status(station):
    status_16(station, 0, "Unavailable", timestamp=LATE)

    status_16(station, 0, "Available", timestamp=EARLY)

    station.refresh_from_db()
    assert (station.status, station.status_at) == (ConnectorStatus.UNAVAILABLE, datetime.fromisoformat(LATE))


def test_a_report_without_timestamp_counts_as_received_now(station):
    ConnectorFactory(station=station, evse_id=1, status=ConnectorStatus.CHARGING,
                     status_at=datetime.fromisoformat(EARLY))

    send(call(station, "1.6", "StatusNotification", {"connectorId": 1, "errorCode": "NoError",
                                                      "status": "Finishing"}, at=LATE))

    connector = Connector.objects.get(station=station)
    assert (connector.status, connector.status_at) == (ConnectorStatus.FINISHING, datetime.fromisoformat(LATE))


def test_vendor_error_fields_are_stored(station):
    status_16(station, 1, "Faulted", error=ChargePointErrorCode.other_error.value, info="Contactor welded",
              vendorId="com.alfen", vendorErrorCode="E042")

    connector = Connector.objects.get(station=station)
    assert (connector.error_code, connector.info, connector.vendor_id, connector.vendor_error_code) == (
        "OtherError", "Contactor welded", "com.alfen", "E042")


def test_a_status_from_an_unknown_station_is_a_security_error(db):
    reply = status_16("CP-NOBODY", 1, "Available")

    assert (reply["kind"], reply["payload"]["code"]) == ("error", "SecurityError")


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_the_answer_is_an_empty_object_valid_against_the_official_schema(station, version):
    reply = report(station, version, "Available")

    assert reply["kind"] == "result"
    assert reply["payload"] == {}
    schemas.validate(version, "StatusNotification", reply["payload"], response=True)
