"""The fault tests' comparison of a fleet with the database (tests/support/reconcile.py) reports what differs."""

from datetime import datetime
from decimal import Decimal

from tests.support.fleet import Fleet, Plan, Session, Told
from tests.support.reconcile import Ledger, sessions, unconfirmed

AT = ["2026-11-25T10:00:00.000Z", "2026-11-25T10:00:01.000Z"]


def fleet_with_one_session() -> Fleet:
    fleet = Fleet()
    station = fleet.add("CP-1", "1.6", ["ws://127.0.0.1:1/ocpp/"], "TAG", Plan())
    station.sessions.append(Session(meter_start=1000, transaction_id=7, meter_stop=1300, started=True, ended=True,
                                    samples=list(AT)))
    fleet.told.append(Told("CP-1", "1.6", "MeterValues", {"transactionId": 7, "meterValue": [
        {"timestamp": AT[1], "sampledValue": [{"value": "1150"}]}]}, {}))
    return fleet


def ledger(transactions: list[dict], readings: list[str]) -> Ledger:
    ledger = Ledger.__new__(Ledger)  # the rows as the database would give them, without one
    ledger.by_station = {"CP-1": transactions}
    ledger.transactions = {("CP-1", tx["station_tx_id"] or tx["id"]): tx for tx in transactions}
    ledger.readings = {("CP-1", 7): [(datetime.fromisoformat(at), "Sample.Periodic", None) for at in readings]}
    ledger.events = set()
    return ledger


def stored(tx_id: int = 7, energy: str = "300") -> dict:
    return {"station": "CP-1", "id": tx_id, "station_tx_id": "", "status": "Ended", "meter_start_wh": Decimal(1000),
            "meter_stop_wh": Decimal(1300), "energy_wh": Decimal(energy)}


def test_a_session_stored_as_the_station_believes_shows_no_difference():
    fleet = fleet_with_one_session()
    assert sessions(fleet, ledger([stored()], AT)) == []
    assert unconfirmed(fleet.told, ledger([stored()], AT)) == []


def test_a_session_stored_twice_is_reported():
    assert sessions(fleet_with_one_session(), ledger([stored(), stored(tx_id=8)], AT)) == [
        "CP-1: 1 sessions believed, 2 stored: [(7, '', 'Ended'), (8, '', 'Ended')]"]


def test_energy_other_than_the_station_believes_is_reported():
    [difference] = sessions(fleet_with_one_session(), ledger([stored(energy="600")], AT))
    assert "stored (status, energy) ('Ended', Decimal('600'))" in difference


def test_a_reading_answered_but_not_stored_is_reported_both_ways():
    fleet = fleet_with_one_session()
    [lost] = sessions(fleet, ledger([stored()], AT[:1]))
    assert "2 register readings sent, 1 stored" in lost
    [told] = unconfirmed(fleet.told, ledger([stored()], AT[:1]))
    assert told.endswith(f"readings at {AT[1:]} not stored")
