"""What a fleet (tests/support/fleet.py) believes against what central's database holds, exactly.

Each function returns a list of differences, empty when both agree, so a failing test names every one.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from tests.support.fleet import Fleet, FleetStation, Told


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Ledger:
    """The fleet's stations' transactions, meter readings and 2.0.1 events as stored, read once."""

    def __init__(self, db, station_ids: list[str]) -> None:
        self.transactions = {}  # (station, id or station_tx_id) -> row
        self.by_station: dict[str, list[dict]] = {s: [] for s in station_ids}
        columns = ("station", "id", "station_tx_id", "status", "meter_start_wh", "meter_stop_wh", "energy_wh")
        for row in db.rows("SELECT s.station_id, t.id, t.station_tx_id, t.status, t.meter_start_wh, t.meter_stop_wh, "
                           "t.energy_wh FROM transactions_transaction t JOIN stations_chargingstation s "
                           "ON s.id = t.station_id WHERE s.station_id = ANY(%s) ORDER BY t.id", station_ids):
            tx = dict(zip(columns, row, strict=True))
            self.by_station[tx["station"]].append(tx)
            self.transactions[(tx["station"], tx["station_tx_id"] or tx["id"])] = tx
        # (station, transaction pk) -> [(timestamp, context, value)]: every register reading stored
        self.readings: dict[tuple[str, int | None], list[tuple]] = {}
        for station, tx_pk, at, context, value in db.rows(
                "SELECT s.station_id, m.transaction_id, m.timestamp, m.context, m.value FROM transactions_metervalue m "
                "JOIN stations_chargingstation s ON s.id = m.station_id WHERE s.station_id = ANY(%s) "
                "AND m.measurand = 'Energy.Active.Import.Register'", station_ids):
            self.readings.setdefault((station, tx_pk), []).append((at, context, value))
        self.events = {(station, tx_id, seq) for station, tx_id, seq in db.rows(
            "SELECT s.station_id, t.station_tx_id, e.seq_no FROM transactions_transactioneventrecord e "
            "JOIN transactions_transaction t ON t.id = e.transaction_id JOIN stations_chargingstation s "
            "ON s.id = t.station_id WHERE s.station_id = ANY(%s)", station_ids)}

    def transaction(self, station: str, transaction_id) -> dict | None:
        return self.transactions.get((station, transaction_id))


def sessions(fleet: Fleet, ledger: Ledger) -> list[str]:
    """Every session a station believes it ran is stored once, ended, with its energy and its readings; no other."""
    differences = []
    for station in fleet.stations:
        stored = ledger.by_station[station.station_id]
        if len(stored) != len(station.sessions):
            differences.append(f"{station.station_id}: {len(station.sessions)} sessions believed, {len(stored)} "
                               f"stored: {[(t['id'], t['station_tx_id'], t['status']) for t in stored]}")
        for session in station.sessions:
            differences += _session(station, session, ledger)
    return differences


def _session(station: FleetStation, session, ledger: Ledger) -> list[str]:
    name = f"{station.station_id} session {session.transaction_id}"
    if not (session.started and session.ended):
        return [f"{name}: started {session.started}, ended {session.ended} as the station saw it"]
    tx = ledger.transaction(station.station_id, session.transaction_id)
    if tx is None:
        return [f"{name}: not stored"]
    differences = []
    stored = (tx["status"], tx["energy_wh"])
    believed = ("Ended", Decimal(session.energy_wh))
    if stored != believed:
        differences.append(f"{name}: stored (status, energy) {stored}, the station believes {believed}")
    if station.version == "1.6" and (tx["meter_start_wh"], tx["meter_stop_wh"]) != (session.meter_start,
                                                                                   session.meter_stop):
        differences.append(f"{name}: stored meter start/stop {tx['meter_start_wh']}/{tx['meter_stop_wh']}, sent "
                           f"{session.meter_start}/{session.meter_stop}")
    readings = sorted(r[0] for r in ledger.readings.get((station.station_id, tx["id"]), []))
    sent = sorted(_time(at) for at in session.samples)
    if readings != sent:
        differences.append(f"{name}: {len(sent)} register readings sent, {len(readings)} stored "
                           f"(sent {[t.isoformat() for t in sent]}, stored {[t.isoformat() for t in readings]})")
    return differences


def unconfirmed(told: list[Told], ledger: Ledger) -> list[str]:
    """Each CALLRESULT to a transaction message whose content is not in the database: the station was told
    "stored" for something that was not."""
    missing = []
    for answer in told:
        if problem := _confirmed(answer, ledger):
            missing.append(f"{answer.station} {answer.action} {answer.payload} answered {answer.result}: {problem}")
    return missing


def _confirmed(answer: Told, ledger: Ledger) -> str | None:
    station, payload = answer.station, answer.payload
    if answer.action == "TransactionEvent":
        tx_id = payload["transactionInfo"]["transactionId"]
        if (station, tx_id, payload["seqNo"]) not in ledger.events:
            return "no such event stored"
        return _readings_stored(ledger, station, ledger.transaction(station, tx_id), payload["meterValue"])
    if answer.action == "StartTransaction":
        tx = ledger.transaction(station, answer.result["transactionId"])
        if tx is None or tx["meter_start_wh"] != payload["meterStart"]:
            return f"stored as {tx}"
        return None
    tx = ledger.transaction(station, payload["transactionId"])
    if answer.action == "StopTransaction":
        if tx is None or (tx["status"], tx["meter_stop_wh"]) != ("Ended", payload["meterStop"]):
            return f"stored as {tx}"
        return None
    return _readings_stored(ledger, station, tx, payload["meterValue"])


def _readings_stored(ledger: Ledger, station: str, tx: dict | None, meter_value: list[dict]) -> str | None:
    if tx is None:
        return "its transaction is not stored"
    stored = {r[0] for r in ledger.readings.get((station, tx["id"]), [])}
    lost = [m["timestamp"] for m in meter_value if _time(m["timestamp"]) not in stored]
    return f"readings at {lost} not stored" if lost else None


def assert_exact(db, fleet: Fleet, sessions_expected: int) -> dict:
    """Sessions started = ended = stored (all ended) = `sessions_expected`, energy per session and in sum as the
    stations believe, every answered transaction message stored. Returns the totals for the test's report."""
    ledger = Ledger(db, [s.station_id for s in fleet.stations])
    stored = [tx for rows in ledger.by_station.values() for tx in rows]
    totals = {
        "started": fleet.started, "ended": fleet.ended, "stored": len(stored),
        "stored_ended": sum(tx["status"] == "Ended" for tx in stored),
        "believed_wh": sum(s.energy_wh for st in fleet.stations for s in st.sessions if s.ended),
        "stored_wh": sum(tx["energy_wh"] or 0 for tx in stored),
    }
    assert fleet.problems == [], fleet.problems
    assert unconfirmed(fleet.told, ledger) == [], unconfirmed(fleet.told, ledger)
    assert sessions(fleet, ledger) == [], sessions(fleet, ledger)
    counts = (totals["started"], totals["ended"], totals["stored"], totals["stored_ended"])
    assert counts == (sessions_expected,) * 4, f"started, ended, stored, stored ended: {counts}"
    assert totals["stored_wh"] == totals["believed_wh"], totals
    return totals
