"""Schema-valid but impossible numbers (negative connectors, absurd meter readings) are stored with a note, never
answered with a CALLERROR: a station would re-send them forever."""

import pytest

from node import schemas
from tests.support.envelopes import call, send
from transactions.choices import NoteKind
from transactions.models import DataQualityNote, Transaction

pytestmark = pytest.mark.django_db

T0 = "2026-01-01T00:00:00Z"


def answered(station, version, action, payload):
    schemas.validate(version, action, payload)
    reply = send(call(station, version, action, payload))
    assert reply["kind"] == "result", reply
    schemas.validate(version, action, reply["payload"], response=True)
    return reply["payload"]


def conflicts():
    return list(DataQualityNote.objects.filter(kind=NoteKind.CONFLICT).values_list("detail", flat=True))


def test_a_1_6_start_on_a_negative_connector_is_recorded_without_a_connector(station):
    answer = answered(station, "1.6", "StartTransaction",
                      {"connectorId": -1, "idTag": "X", "meterStart": 10, "timestamp": T0})

    tx = Transaction.objects.get(pk=answer["transactionId"])
    assert (tx.evse_id, tx.connector_id, tx.meter_start_wh) == (None, None, 10)
    assert any("out of range" in d for d in conflicts())


def test_an_absurd_meter_start_and_stop_are_noted_and_not_stored(station):
    huge = 10**25
    tx_id = answered(station, "1.6", "StartTransaction",
                     {"connectorId": 1, "idTag": "X", "meterStart": huge, "timestamp": T0})["transactionId"]
    answered(station, "1.6", "StopTransaction", {"transactionId": tx_id, "meterStop": huge, "timestamp": T0})

    tx = Transaction.objects.get(pk=tx_id)
    assert (tx.status, tx.meter_start_wh, tx.meter_stop_wh, tx.energy_wh) == ("Ended", None, None, None)
    assert [d.split(" ")[0] for d in conflicts()] == ["meterStop", "meterStart"]


def test_meter_values_on_a_negative_connector_land_on_the_station_meter(station):
    answered(station, "1.6", "MeterValues", {"connectorId": -5, "meterValue": [
        {"timestamp": T0, "sampledValue": [{"value": "100"}]}]})

    assert station.meter_values.get().evse_id == 0
    assert conflicts() == ["MeterValues: EVSE/connector -5 out of range; stored without a connector"]


def test_a_2_0_1_event_with_a_negative_evse_is_recorded_without_one(station):
    answered(station, "2.0.1", "TransactionEvent", {
        "eventType": "Started", "timestamp": T0, "triggerReason": "Authorized", "seqNo": 0,
        "transactionInfo": {"transactionId": "t-neg"}, "evse": {"id": -3, "connectorId": -1}})

    tx = Transaction.objects.get(station_tx_id="t-neg")
    assert (tx.evse_id, tx.connector_id) == (None, None)
    assert len(conflicts()) == 1
