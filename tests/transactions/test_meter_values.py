"""MeterValues in both versions: each sampled value stored once and normalised; the session's readings kept current."""

from datetime import datetime
from decimal import Decimal

import pytest

from node import schemas
from tests.support.envelopes import call, send
from tests.support.transaction_factories import TransactionFactory
from transactions.choices import NoteKind
from transactions.models import DataQualityNote, MeterValue, Transaction

pytestmark = pytest.mark.django_db

T1, T2, T3 = "2025-03-01T10:15:00Z", "2025-03-01T10:30:00Z", "2025-03-01T10:45:00Z"


def meter_16(station, *sampled, connector=1, transaction_id=None, timestamp=T1, at=None):
    payload = {"connectorId": connector, "meterValue": [{"timestamp": timestamp, "sampledValue": list(sampled)}]}
    if transaction_id is not None:
        payload["transactionId"] = transaction_id
    return _send(station, "1.6", payload, at)


def meter_201(station, *sampled, evse=1, timestamp=T1, at=None):
    payload = {"evseId": evse, "meterValue": [{"timestamp": timestamp, "sampledValue": list(sampled)}]}
    return _send(station, "2.0.1", payload, at)


def _send(station, version, payload, at):
    schemas.validate(version, "MeterValues", payload)
    reply = send(call(station, version, "MeterValues", payload, at=at))
    assert reply["kind"] == "result", reply
    assert reply["payload"] == {}
    schemas.validate(version, "MeterValues", reply["payload"], response=True)
    return reply


@pytest.fixture
def session(station):
    return TransactionFactory(station=station, evse_id=1, meter_start_wh=1000)


def stored(*fields):
    return list(MeterValue.objects.values_list(*fields))


# --- what is stored ------------------------------------------------------------------------------------------

def test_a_16_value_without_fields_is_the_energy_register_in_wh(station):
    meter_16(station, {"value": "1234"})

    row = MeterValue.objects.get()
    assert (row.measurand, row.unit, row.value, row.context, row.location, row.format, row.phase) == (
        "Energy.Active.Import.Register", "Wh", Decimal(1234), "Sample.Periodic", "Outlet", "Raw", "")
    assert (row.timestamp, row.raw_value) == (datetime.fromisoformat(T1), "")


def test_a_201_value_without_fields_is_the_energy_register_in_wh(station):
    meter_201(station, {"value": 1234})

    assert stored("measurand", "unit", "value", "context", "location") == [
        ("Energy.Active.Import.Register", "Wh", Decimal(1234), "Sample.Periodic", "Outlet")]


def test_every_field_of_a_16_sample_is_stored(station):
    meter_16(station, {"value": "16.2", "context": "Sample.Clock", "format": "Raw", "measurand": "Current.Import",
                       "phase": "L2", "location": "Inlet", "unit": "A"})

    assert stored("measurand", "phase", "location", "context", "unit", "format", "value") == [
        ("Current.Import", "L2", "Inlet", "Sample.Clock", "A", "Raw", Decimal("16.2"))]


def test_a_non_energy_value_without_unit_has_no_unit(station):
    meter_16(station, {"value": "80", "measurand": "SoC"})

    assert stored("measurand", "unit", "value") == [("SoC", "", Decimal(80))]


@pytest.mark.parametrize("value, unit, measurand, stored_value, stored_unit", [
    ("12.5", "kWh", "Energy.Active.Import.Register", Decimal(12500), "Wh"),
    ("7.4", "kW", "Power.Active.Import", Decimal(7400), "W"),
    ("1.25", "kvarh", "Energy.Reactive.Import.Register", Decimal(1250), "varh"),
    ("0.5", "kvar", "Power.Reactive.Import", Decimal(500), "var"),
    ("12500", "Wh", "Energy.Active.Import.Register", Decimal(12500), "Wh"),
    ("7400", "W", "Power.Active.Import", Decimal(7400), "W"),
], ids=["kWh", "kW", "kvarh", "kvar", "Wh", "W"])
def test_16_units_are_normalised_to_the_base_unit(station, value, unit, measurand, stored_value, stored_unit):
    meter_16(station, {"value": value, "unit": unit, "measurand": measurand})

    assert stored("value", "unit") == [(stored_value, stored_unit)]


def test_a_scaled_value_keeps_what_the_station_sent(station):
    meter_16(station, {"value": "12.5", "unit": "kWh"})

    assert MeterValue.objects.get().raw_value == "12.5"


@pytest.mark.parametrize("unit_of_measure, value, stored_value, stored_unit", [
    ({"unit": "Wh", "multiplier": 3}, 12.5, Decimal(12500), "Wh"),
    ({"unit": "kWh"}, 12.5, Decimal(12500), "Wh"),
    ({"unit": "kWh", "multiplier": -3}, 12500, Decimal(12500), "Wh"),
    ({"unit": "A", "multiplier": -1}, 163, Decimal("16.3"), "A"),
    ({"unit": "kW", "multiplier": 0}, 11, Decimal(11000), "W"),
    ({"multiplier": 3}, 2, Decimal(2000), "Wh"),
], ids=["Wh x10^3", "kWh", "kWh x10^-3", "A x10^-1", "kW", "default unit x10^3"])
def test_201_unit_of_measure_and_multiplier_are_applied(station, unit_of_measure, value, stored_value, stored_unit):
    meter_201(station, {"value": value, "unitOfMeasure": unit_of_measure})

    assert stored("value", "unit") == [(stored_value, stored_unit)]


def test_decimal_values_are_stored_exactly(station):
    meter_201(station, {"value": 12345.6789}, {"value": 0.1, "measurand": "Current.Import", "unitOfMeasure": {
        "unit": "A"}})

    assert sorted(v for (v,) in stored("value")) == [Decimal("0.1"), Decimal("12345.6789")]


def test_16_signed_data_is_kept_as_sent_without_a_number(station):
    meter_16(station, {"value": "AP8BAAAAAAAAAA==", "format": "SignedData"})

    row = MeterValue.objects.get()
    assert (row.format, row.value, row.raw_value) == ("SignedData", None, "AP8BAAAAAAAAAA==")


def test_a_16_value_that_is_not_a_number_is_kept_as_sent(station):
    meter_16(station, {"value": "n/a"})

    assert stored("value", "raw_value") == [(None, "n/a")]


def test_201_signed_meter_value_is_kept_beside_the_number(station):
    signed = {"signedMeterData": "c2lnbmVk", "signingMethod": "ECDSA-secp256r1-SHA256", "encodingMethod": "OCMF",
              "publicKey": "a2V5"}

    meter_201(station, {"value": 1500, "signedMeterValue": signed})

    assert stored("value", "format", "signed") == [(Decimal(1500), "SignedData", signed)]


# --- where it is stored --------------------------------------------------------------------------------------

def test_16_values_without_transaction_id_are_stored_on_the_connector(station, session):
    meter_16(station, {"value": "5000"}, connector=2)

    assert stored("transaction", "evse_id", "connector_id") == [(None, 2, 1)]


def test_16_connector_0_is_the_stations_main_meter(station):
    meter_16(station, {"value": "900000"}, connector=0)

    assert stored("transaction", "evse_id", "connector_id") == [(None, 0, 0)]


def test_16_values_with_a_transaction_id_are_stored_on_that_session(station, session):
    meter_16(station, {"value": "5000"}, transaction_id=session.pk, at=T2)

    assert stored("transaction") == [(session.pk,)]
    session.refresh_from_db()
    assert session.last_message_at == datetime.fromisoformat(T2)


def test_16_values_for_an_unknown_transaction_id_make_an_orphan_that_the_stop_then_closes(station):
    meter_16(station, {"value": "5000", "context": "Transaction.Begin"}, transaction_id=4242)
    send(call(station, "1.6", "StopTransaction", {"transactionId": 4242, "meterStop": 7000, "timestamp": T3}))

    orphan = Transaction.objects.get()
    assert (orphan.orphan, orphan.station_tx_id, orphan.status, orphan.energy_wh) == (
        True, "4242", "Ended", Decimal(2000))
    assert stored("transaction") == [(orphan.pk,)]
    assert list(DataQualityNote.objects.values_list("kind", flat=True)) == [NoteKind.UNKNOWN_TRANSACTION]


def test_201_values_go_to_the_evses_only_active_session(station):
    session = TransactionFactory(station=station, ocpp_version="2.0.1", station_tx_id="tx-1", evse_id=1)

    meter_201(station, {"value": 5000}, evse=1)

    assert stored("transaction", "evse_id", "connector_id") == [(session.pk, 1, 1)]


def test_201_values_stay_unattached_when_the_evse_has_two_active_sessions(station):
    for tx_id in ("tx-1", "tx-2"):
        TransactionFactory(station=station, ocpp_version="2.0.1", station_tx_id=tx_id, evse_id=1)

    meter_201(station, {"value": 5000}, evse=1)

    assert stored("transaction") == [(None,)]


def test_201_evse_0_is_the_stations_main_meter(station):
    TransactionFactory(station=station, ocpp_version="2.0.1", station_tx_id="tx-1", evse_id=1)

    meter_201(station, {"value": 5000}, evse=0)

    assert stored("transaction", "evse_id") == [(None, 0)]


# --- the session's readings ----------------------------------------------------------------------------------

def test_the_sessions_energy_so_far_is_the_latest_register_minus_meter_start(station, session):
    meter_16(station, {"value": "3000"}, transaction_id=session.pk, timestamp=T1)
    meter_16(station, {"value": "4.5", "unit": "kWh"}, transaction_id=session.pk, timestamp=T2)

    session.refresh_from_db()
    assert (session.energy_wh, session.last_register_wh, session.last_register_at) == (
        Decimal(3500), Decimal(4500), datetime.fromisoformat(T2))


def test_a_late_older_register_does_not_replace_the_latest(station, session):
    meter_16(station, {"value": "4000"}, transaction_id=session.pk, timestamp=T2)
    meter_16(station, {"value": "3000"}, transaction_id=session.pk, timestamp=T1)

    session.refresh_from_db()
    assert session.energy_wh == Decimal(3000)
    assert not DataQualityNote.objects.exists()


def test_the_latest_active_power_is_kept(station, session):
    meter_16(station, {"value": "7.2", "unit": "kW", "measurand": "Power.Active.Import"},
             transaction_id=session.pk, timestamp=T2)
    meter_16(station, {"value": "11000", "unit": "W", "measurand": "Power.Active.Import"},
             transaction_id=session.pk, timestamp=T1)

    session.refresh_from_db()
    assert (session.power_w, session.power_at) == (Decimal(7200), datetime.fromisoformat(T2))


def test_power_given_per_phase_adds_up(station, session):
    meter_16(station, *({"value": "2300", "unit": "W", "measurand": "Power.Active.Import", "phase": phase}
                        for phase in ("L1", "L2", "L3")), transaction_id=session.pk)

    session.refresh_from_db()
    assert session.power_w == Decimal(6900)


def test_per_phase_registers_do_not_count_as_the_sessions_register(station, session):
    meter_16(station, {"value": "900", "phase": "L1"}, transaction_id=session.pk)

    session.refresh_from_db()
    assert session.energy_wh is None


# --- re-sends and odd data -----------------------------------------------------------------------------------

def test_a_re_sent_message_stores_each_sample_once_and_is_noted(station, session):
    sampled = ({"value": "3000"}, {"value": "7000", "measurand": "Power.Active.Import", "unit": "W"})
    meter_16(station, *sampled, transaction_id=session.pk)

    meter_16(station, *sampled, transaction_id=session.pk)

    assert MeterValue.objects.count() == 2
    assert list(DataQualityNote.objects.values_list("kind", flat=True)) == [NoteKind.DUPLICATE]


def test_a_re_sent_message_without_a_session_is_stored_once(station):
    meter_16(station, {"value": "3000"}, connector=0)
    meter_16(station, {"value": "3000"}, connector=0)

    assert MeterValue.objects.count() == 1


def test_the_same_sample_twice_in_one_message_is_stored_once(station):
    meter_16(station, {"value": "3000"}, {"value": "3000"})

    assert MeterValue.objects.count() == 1


def test_a_meter_going_backwards_is_stored_and_noted(station, session):
    meter_16(station, {"value": "5000"}, transaction_id=session.pk, timestamp=T1)

    meter_16(station, {"value": "4000"}, transaction_id=session.pk, timestamp=T2)

    assert MeterValue.objects.count() == 2
    note = DataQualityNote.objects.get()
    assert (note.kind, note.transaction) == (NoteKind.METER_BACKWARDS, session)


def test_a_register_below_meter_start_is_noted(station, session):
    meter_16(station, {"value": "500"}, transaction_id=session.pk)

    assert DataQualityNote.objects.get().kind == NoteKind.METER_BACKWARDS


def test_samples_replayed_after_the_stop_are_not_stored_twice(station, session):
    data = [{"timestamp": T3, "sampledValue": [{"value": "9000", "context": "Transaction.End"}]}]
    send(call(station, "1.6", "StopTransaction", {"transactionId": session.pk, "meterStop": 9000, "timestamp": T3,
                                                   "transactionData": data}))

    meter_16(station, {"value": "9000", "context": "Transaction.End"}, transaction_id=session.pk, timestamp=T3)

    assert MeterValue.objects.count() == 1
    session.refresh_from_db()
    assert session.energy_wh == Decimal(8000)


def test_a_message_clears_the_stale_flag(station, session):
    session.stale = True
    session.save()

    meter_16(station, {"value": "3000"}, transaction_id=session.pk)

    session.refresh_from_db()
    assert not session.stale


@pytest.mark.parametrize("multiplier", [10**6, 40])
def test_a_multiplier_no_number_can_hold_keeps_the_value_as_sent(station, multiplier):
    meter_201(station, {"value": 5, "unitOfMeasure": {"unit": "Wh", "multiplier": multiplier}})

    assert stored("value", "raw_value") == [(None, "5")]
