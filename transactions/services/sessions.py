"""Charging sessions: 1.6 Start/StopTransaction, 2.0.1 TransactionEvent, meter values, operator close, stale flag.

Each function runs inside the caller's transaction (one per message, csms.dispatch). Nothing a
station says about a session is refused for being odd or repeated: it is stored, confirmed, and
what was odd becomes a DataQualityNote. Re-sends find their row through the unique constraints on
Transaction, MeterValue and TransactionEventRecord. Lock order: the station row, then the
transaction row (select_for_update), so messages about one station queue up instead of racing.

Queries are few on the paths every charging session repeats (MeterValues, TransactionEvent Updated): one
query locks the station and the session together, samples and event records go in with one
INSERT ... ON CONFLICT DO NOTHING each, and the session's UPDATE writes only the columns the message changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Q

from audit.services import audited
from csms.exceptions import UnknownStation
from stations.models import ChargingStation
from transactions.choices import AuthStatus, EventType, NoteKind, TokenType, TransactionStatus
from transactions.models import Transaction, TransactionEventRecord
from transactions.services import metering, remote_starts, reservations
from transactions.services.inserts import insert_new
from transactions.services.metering import Recorded, Sample
from transactions.services.notes import add_note
from transactions.services.tokens import Authorization, authorize
from webhooks import payloads
from webhooks import services as webhooks
from webhooks.choices import Event

V16, V201 = "1.6", "2.0.1"
ACTIVE, ENDED = TransactionStatus.ACTIVE, TransactionStatus.ENDED
ID_LIMIT = 2**63
PLACE_LIMIT = 2**31  # EVSE and connector columns hold 0 .. 2**31 - 1 on every database
COLUMNS = [f.attname for f in Transaction._meta.concrete_fields if not f.primary_key]


@dataclass(frozen=True)
class TransactionEventData:
    """A 2.0.1 TransactionEvent in our words; `id_token_value` is None when the event carries no idToken."""

    event_type: EventType
    station_tx_id: str
    seq_no: int
    timestamp: datetime
    trigger_reason: str
    offline: bool = False
    charging_state: str = ""
    stopped_reason: str = ""
    remote_start_id: int | None = None
    reservation_id: int | None = None
    evse_id: int | None = None
    connector_id: int | None = None
    id_token_value: str | None = None
    id_token_type: str = ""
    samples: Sequence[Sample] = ()
    payload: dict = field(default_factory=dict)


def _station(station_id: str) -> ChargingStation:
    try:
        return ChargingStation.objects.select_for_update().get(station_id=station_id)
    except ChargingStation.DoesNotExist:
        raise UnknownStation(f"station {station_id!r} is not provisioned") from None


def _locked(station_id: str, *, limit: int = 1, **match) -> list[Transaction]:
    """The station's sessions that match (by pk when `limit` > 1), locked after their station, in one query.

    Lock order kept: the subquery locks the station row, and only rows it let through reach the top-level lock
    of the sessions' rows. An empty answer may not have locked the station: call _station then. The station
    itself is loaded only where a path needs more than its pk (a note, a webhook), after its lock.
    """
    station = ChargingStation.objects.select_for_update().filter(station_id=station_id).order_by().values("pk")
    rows = Transaction.objects.select_for_update(of=("self",)).filter(station__in=station, **match)
    rows = list(rows.order_by("pk")[:limit] if limit > 1 else rows.order_by()[:1])
    for transaction in rows:
        _as_read(transaction)
    return rows


def _as_read(transaction: Transaction) -> Transaction:
    """Remember the locked row's values, so that _touch writes back only what this message changed."""
    transaction._as_read = {name: getattr(transaction, name) for name in COLUMNS}
    return transaction


def _touch(transaction: Transaction, at: datetime) -> None:
    """Any message about a session: it is alive again. Saves the session (only changed columns when known)."""
    transaction.last_message_at, transaction.stale = at, False
    as_read = getattr(transaction, "_as_read", None)
    if as_read is None:
        transaction.save()
        return
    changed = [name for name, value in as_read.items() if getattr(transaction, name) != value]
    transaction.save(update_fields=[*changed, "updated_at"])
    _as_read(transaction)


def _note(transaction: Transaction, kind: NoteKind, detail: str, at: datetime, message_id: str) -> None:
    add_note(station=transaction.station, transaction=transaction, kind=kind, detail=detail, at=at,
             message_id=message_id)


def place_problem(evse_id: int | None, connector_id: int | None) -> str:
    """Why a schema-valid EVSE / connector cannot be stored ('' when it can): the schemas set no minimum."""
    bad = [f"{name} {value}" for name, value in (("EVSE/connector", evse_id), ("connector", connector_id))
           if value is not None and not 0 <= value < PLACE_LIMIT]
    return f"{', '.join(bad)} out of range; stored without a connector" if bad else ""


def _energy_problem(name: str, value: Decimal | None) -> str:
    if value is None or abs(value) < metering.REGISTER_LIMIT:
        return ""
    return f"{name} {value} Wh out of range; not stored"


def _take_token(transaction: Transaction, auth: Authorization, *, value: str, type_: str, at: datetime,
                message_id: str) -> None:
    transaction.id_token, transaction.id_token_value, transaction.id_token_type = auth.token, value, type_
    transaction.auth_status = auth.status
    if auth.status != AuthStatus.ACCEPTED:
        _note(transaction, NoteKind.UNKNOWN_TOKEN, f"token {value!r} answered {auth.status}; the session is recorded",
              at, message_id)


# --- OCPP 1.6 ------------------------------------------------------------------------------------------------

def start_transaction(*, station_id: str, evse_id: int, connector_id: int, id_token_value: str,
                      meter_start_wh: Decimal, started_at: datetime, reservation_id: int | None, at: datetime,
                      message_id: str = "") -> tuple[Transaction, Authorization]:
    """Open a 1.6 session whatever the token's standing (the station already started it); its pk is the id to
    answer. A re-sent start (same connector, tag, time and meterStart) finds the same session and answer."""
    station = _station(station_id)
    problems = [p for p in (place_problem(evse_id, connector_id), _energy_problem("meterStart", meter_start_wh)) if p]
    if place_problem(evse_id, connector_id):
        evse_id = connector_id = None
    if _energy_problem("meterStart", meter_start_wh):
        meter_start_wh = None
    transaction, created = Transaction.objects.get_or_create(
        station=station, ocpp_version=V16, orphan=False, evse_id=evse_id, id_token_value=id_token_value,
        started_at=started_at, meter_start_wh=meter_start_wh,
        defaults={"connector_id": connector_id, "reservation_id": reservation_id, "last_message_at": at})
    transaction.station = station
    if not created:
        _note(transaction, NoteKind.DUPLICATE, f"StartTransaction re-sent; answered transactionId {transaction.pk} "
              "again", at, message_id)
        _touch(transaction, at)
        return transaction, Authorization(AuthStatus(transaction.auth_status), transaction.id_token)
    if evse_id == 0:
        _note(transaction, NoteKind.CONFLICT, "started on connector 0, the station itself", at, message_id)
    for problem in problems:
        _note(transaction, NoteKind.CONFLICT, problem, at, message_id)
    auth = authorize(value=id_token_value, at=at, exclude_transaction=transaction)
    auth = reservations.honour_reservation(transaction, auth, value=id_token_value, reservation_id=reservation_id,
                                           at=at, message_id=message_id)
    transaction.command = remote_starts.command_for_start_16(station, evse_id=evse_id, id_token_value=id_token_value,
                                                             at=at)
    _take_token(transaction, auth, value=id_token_value, type_="", at=at, message_id=message_id)
    transaction.save()
    webhooks.emit(Event.SESSION_STARTED, lambda: payloads.session(transaction))
    return transaction, auth


def _transaction_16(station_id: str, transaction_id: int, *, evse_id: int | None, connector_id: int | None,
                    at: datetime, message_id: str) -> Transaction:
    """The session central issued `transaction_id` for, locked after its station; an id it never issued becomes
    an orphan row. Raises UnknownStation."""
    if 0 < transaction_id < ID_LIMIT:  # anything else cannot be a primary key, and must not reach the database
        found = _locked(station_id, pk=transaction_id, ocpp_version=V16, orphan=False)
        if found:
            return found[0]
    station = _station(station_id)
    transaction, created = Transaction.objects.select_for_update().get_or_create(
        station=station, station_tx_id=str(transaction_id),
        defaults={"ocpp_version": V16, "orphan": True, "evse_id": evse_id, "connector_id": connector_id,
                  "last_message_at": at})
    transaction.station = station
    _as_read(transaction)
    if created:
        _note(transaction, NoteKind.UNKNOWN_TRANSACTION, f"transactionId {transaction_id} was never issued by "
              "central; recorded as an orphan session", at, message_id)
    return transaction


def stop_transaction(*, station_id: str, transaction_id: int, meter_stop_wh: Decimal, ended_at: datetime,
                     reason: str, id_token_value: str, samples: Sequence[Sample], at: datetime,
                     message_id: str = "") -> tuple[Transaction, Authorization | None]:
    """Close a 1.6 session; energy is meterStop - meterStart. A re-sent stop changes nothing but a note.

    Returns the session and, when the stop names an idTag, that tag's authorisation to answer.
    """
    transaction = _transaction_16(station_id, transaction_id, evse_id=None, connector_id=None, at=at,
                                  message_id=message_id)
    if problem := _energy_problem("meterStop", meter_stop_wh):
        _note(transaction, NoteKind.CONFLICT, problem, at, message_id)
        meter_stop_wh = None
    operator_closed = transaction.status == ENDED and transaction.meter_stop_wh is None and transaction.closed_by
    if transaction.status == ENDED and not operator_closed:
        same = (transaction.meter_stop_wh, transaction.ended_at) == (meter_stop_wh, ended_at)
        _note(transaction, NoteKind.DUPLICATE if same else NoteKind.CONFLICT,
              "StopTransaction re-sent" if same else
              f"another StopTransaction (meterStop {meter_stop_wh} Wh at {ended_at:%Y-%m-%d %H:%M:%S}); "
              "the first is kept", at, message_id)
        _record(transaction, samples, at=at, message_id=message_id, note_repeats=False)
        _touch(transaction, at)
        return transaction, _stop_authorization(id_token_value, transaction, at)
    _record(transaction, samples, at=at, message_id=message_id)
    if operator_closed:
        _note(transaction, NoteKind.AFTER_END, f"the station's stop arrived after {transaction.closed_by} closed the "
              "session; its meter reading and time are kept", at, message_id)
    transaction.status, transaction.meter_stop_wh, transaction.ended_at = ENDED, meter_stop_wh, ended_at
    transaction.stop_reason, transaction.stop_id_token_value = reason, id_token_value
    transaction.energy_wh = metering.energy_of(transaction)
    _touch(transaction, at)
    if not operator_closed:  # the operator's close announced the end already
        webhooks.emit(Event.SESSION_ENDED, lambda: payloads.session(transaction))
    return transaction, _stop_authorization(id_token_value, transaction, at)


def _stop_authorization(value: str, transaction: Transaction, at: datetime) -> Authorization | None:
    return authorize(value=value, at=at, exclude_transaction=transaction) if value else None


def _record(transaction: Transaction, samples: Sequence[Sample], *, at: datetime, message_id: str,
            evse_id: int | None = None, connector_id: int | None = None, note_repeats: bool = True) -> Recorded:
    """Store samples on the session, by default on its EVSE and connector (0 when unknown)."""
    recorded = metering.record_samples(
        station_pk=transaction.station_id, transaction=transaction,
        evse_id=(transaction.evse_id or 0) if evse_id is None else evse_id,
        connector_id=(transaction.connector_id or 0) if connector_id is None else connector_id,
        samples=samples, at=at, message_id=message_id)
    if recorded.repeated and note_repeats:
        _note(transaction, NoteKind.DUPLICATE, f"{recorded.repeated} meter value(s) already stored", at, message_id)
    return recorded


def record_meter_values(*, station_id: str, evse_id: int, connector_id: int, samples: Sequence[Sample],
                        at: datetime, message_id: str = "", transaction_id: int | None = None,
                        on_active_transaction: bool = False) -> Transaction | None:
    """Store MeterValues: on the 1.6 session `transaction_id`, else (`on_active_transaction`, 2.0.1) on the EVSE's
    one active session, else on the connector alone (EVSE 0: the station's main meter). Returns the session."""
    station_pk = transaction = None
    if problem := place_problem(evse_id, connector_id):
        station = _station(station_id)
        station_pk = station.pk
        add_note(station=station, transaction=None, kind=NoteKind.CONFLICT, detail=f"MeterValues: {problem}", at=at,
                 message_id=message_id)
        evse_id = connector_id = 0
    if transaction_id is not None:
        transaction = _transaction_16(station_id, transaction_id, evse_id=evse_id, connector_id=connector_id, at=at,
                                      message_id=message_id)
    elif on_active_transaction and evse_id:
        active = _locked(station_id, limit=2, evse_id=evse_id, status=ACTIVE)
        if not active:  # the station may not be locked yet: lock it, then look again
            station_pk = _station(station_id).pk
            active = _locked(station_id, limit=2, evse_id=evse_id, status=ACTIVE)
        transaction = active[0] if len(active) == 1 else None
        station_pk = active[0].station_id if active else station_pk  # two sessions: the station is locked
    if transaction is None:
        metering.record_samples(station_pk=station_pk or _station(station_id).pk, transaction=None, evse_id=evse_id,
                                connector_id=connector_id, samples=samples, at=at, message_id=message_id)
        return None
    if transaction.status == ENDED:
        _note(transaction, NoteKind.AFTER_END, "MeterValues after the session ended; stored", at, message_id)
    # A 1.6 message names its connector; a 2.0.1 one only the EVSE, so the session's connector is used.
    _record(transaction, samples, at=at, message_id=message_id, evse_id=evse_id,
            connector_id=connector_id if transaction_id is not None else None)
    _touch(transaction, at)
    return transaction


# --- OCPP 2.0.1 ----------------------------------------------------------------------------------------------

def record_transaction_event(*, station_id: str, event: TransactionEventData, at: datetime,
                             message_id: str = "") -> tuple[Transaction, Authorization | None]:
    """Apply one TransactionEvent to the session the station names, creating it on whatever event comes first.

    Returns the session and, when the event carries an idToken, its authorisation to answer.
    An exact re-send (a seqNo already seen) changes nothing; Ended is final.
    """
    problem = place_problem(event.evse_id, event.connector_id)
    if problem:
        event = replace(event, evse_id=None, connector_id=None)
    transaction = _transaction_201(station_id, event, at=at, message_id=message_id)
    if problem:
        _note(transaction, NoteKind.CONFLICT, problem, at, message_id)
    # No savepoint: the (transaction, seqNo) constraint skips a re-sent event instead of raising.
    fresh = insert_new([TransactionEventRecord(
        transaction=transaction, seq_no=event.seq_no, event_type=event.event_type,
        trigger_reason=event.trigger_reason, timestamp=event.timestamp, offline=event.offline, payload=event.payload,
        message_id=message_id, received_at=at)])
    auth = None if event.id_token_value is None else _authorize(event, transaction, at)
    if not fresh:
        record = TransactionEventRecord.objects.get(transaction=transaction, seq_no=event.seq_no)
        same = record.payload == event.payload
        _note(transaction, NoteKind.DUPLICATE if same else NoteKind.CONFLICT,
              f"{event.event_type} seqNo {event.seq_no} re-sent; ignored" if same else
              f"seqNo {event.seq_no} re-used with different content ({event.event_type}); the first is kept",
              at, message_id)
        _touch(transaction, at)
        return transaction, auth
    newest = check_sequence(transaction, event.seq_no, at=at, message_id=message_id)
    was_active = transaction.status == ACTIVE
    auth = apply_event(transaction, event, auth, newest=newest, at=at, message_id=message_id)
    _record(transaction, event.samples, at=at, message_id=message_id)
    _touch(transaction, at)
    if event.event_type == EventType.STARTED or (was_active and transaction.status == ENDED):
        webhooks.emit(Event.SESSION_STARTED if event.event_type == EventType.STARTED else Event.SESSION_ENDED,
                      lambda: payloads.session(transaction))
    return transaction, auth


def _transaction_201(station_id: str, event: TransactionEventData, *, at: datetime,
                     message_id: str) -> Transaction:
    """The session the station calls `event.station_tx_id`, locked after its station; created when new."""
    found = _locked(station_id, station_tx_id=event.station_tx_id)
    if found:
        return found[0]
    station = _station(station_id)
    transaction, created = Transaction.objects.select_for_update().get_or_create(
        station=station, station_tx_id=event.station_tx_id,
        defaults={"ocpp_version": V201, "orphan": event.event_type != EventType.STARTED, "evse_id": event.evse_id,
                  "connector_id": event.connector_id, "last_message_at": at})
    transaction.station = station
    _as_read(transaction)
    if created and event.event_type != EventType.STARTED:
        _note(transaction, NoteKind.OUT_OF_ORDER, f"first message is {event.event_type} seqNo {event.seq_no}; "
              "Started not received yet", at, message_id)
    return transaction


def _authorize(event: TransactionEventData, transaction: Transaction, at: datetime) -> Authorization:
    if event.id_token_type == TokenType.NO_AUTHORIZATION:  # the station needed no token: nothing to check
        return Authorization(AuthStatus.ACCEPTED)
    return authorize(value=event.id_token_value, at=at, exclude_transaction=transaction)


def check_sequence(transaction: Transaction, seq_no: int, *, at: datetime, message_id: str) -> bool:
    """Note gaps and late arrivals in seqNo (from 0 per session); True when this is the newest event so far."""
    last = transaction.last_seq_no
    expected = 0 if last is None else last + 1
    if seq_no > expected:
        missing = str(expected) if seq_no == expected + 1 else f"{expected}..{seq_no - 1}"
        _note(transaction, NoteKind.SEQ_GAP, f"seqNo {missing} not received before seqNo {seq_no}", at, message_id)
    elif seq_no < expected:
        _note(transaction, NoteKind.OUT_OF_ORDER, f"seqNo {seq_no} arrived after seqNo {last}", at, message_id)
    transaction.last_seq_no = seq_no if last is None else max(last, seq_no)
    return last is None or seq_no > last


def apply_event(transaction: Transaction, event: TransactionEventData, auth: Authorization | None, *, newest: bool,
           at: datetime, message_id: str) -> Authorization | None:
    """Fold the event into the session; returns the authorisation to answer (a reservation may refuse it)."""
    if event.offline:
        transaction.offline_events += 1
    if transaction.evse_id is None and event.evse_id is not None:
        transaction.evse_id, transaction.connector_id = event.evse_id, event.connector_id
    elif transaction.connector_id is None and event.connector_id is not None:
        transaction.connector_id = event.connector_id
    if event.remote_start_id is not None:
        transaction.remote_start_id = event.remote_start_id
        if transaction.command_id is None:
            transaction.command = remote_starts.command_for_remote_start_id(transaction.station, event.remote_start_id)
    if event.reservation_id is not None:
        transaction.reservation_id = event.reservation_id
    if auth is not None:
        if not transaction.id_token_value:
            if event.id_token_type != TokenType.NO_AUTHORIZATION:
                auth = reservations.honour_reservation(
                    transaction, auth, value=event.id_token_value, reservation_id=transaction.reservation_id, at=at,
                    message_id=message_id)
            _take_token(transaction, auth, value=event.id_token_value, type_=event.id_token_type, at=at,
                        message_id=message_id)
        elif event.id_token_value != transaction.id_token_value:
            transaction.stop_id_token_value = event.id_token_value
    if event.event_type == EventType.STARTED:
        transaction.started_at, transaction.orphan = event.timestamp, False
    if transaction.status == ENDED:
        _note_after_end(transaction, event, at=at, message_id=message_id)
        return auth
    if newest:
        transaction.trigger_reason = event.trigger_reason
        transaction.charging_state = event.charging_state or transaction.charging_state
    if event.event_type == EventType.ENDED:
        transaction.status, transaction.ended_at, transaction.stop_reason = ENDED, event.timestamp, event.stopped_reason
    return auth


def _note_after_end(transaction: Transaction, event: TransactionEventData, *, at: datetime, message_id: str) -> None:
    """The session stays ended: a second Ended is a duplicate, a later event is noted, an earlier one was late."""
    if event.event_type == EventType.ENDED:
        _note(transaction, NoteKind.DUPLICATE, f"Ended again (seqNo {event.seq_no}); the first end is kept", at,
              message_id)
    elif event.timestamp > transaction.ended_at:
        _note(transaction, NoteKind.AFTER_END, f"{event.event_type} seqNo {event.seq_no} after the session ended; "
              "stored, the session stays ended", at, message_id)


# --- The operator --------------------------------------------------------------------------------------------

@audited(target_type="transaction", target="transaction_id", skip=("at", "by"))
def close_transaction(*, transaction_id: int, by: str, reason: str, at: datetime) -> Transaction | None:
    """End a session the station never ended; None when it had already ended (nothing changed).

    Raises Transaction.DoesNotExist for an unknown id.
    """
    station_pk = Transaction.objects.values_list("station_id", flat=True).get(pk=transaction_id)
    ChargingStation.objects.select_for_update().get(pk=station_pk)  # lock order: station, then transaction
    transaction = Transaction.objects.select_for_update().select_related("station").get(pk=transaction_id)
    if transaction.status == ENDED:
        return None
    transaction.status, transaction.ended_at = ENDED, at
    transaction.closed_by, transaction.close_note = by, reason[:255]
    transaction.save()
    _note(transaction, NoteKind.OPERATOR_CLOSED, f"closed by {by}: {reason}", at, "")
    webhooks.emit(Event.SESSION_ENDED, lambda: payloads.session(transaction))
    return transaction


def flag_stale_transactions(*, now: datetime, silent_for: timedelta) -> list[Transaction]:
    """Flag active sessions with no message for `silent_for`, with one note each; returns those flagged now."""
    cutoff = now - silent_for
    candidates = (Transaction.objects.filter(status=ACTIVE, stale=False)
                  .filter(Q(last_message_at__lt=cutoff) | Q(last_message_at__isnull=True, created_at__lt=cutoff))
                  .select_related("station"))
    flagged = []
    for transaction in candidates:
        # Claim with a conditional UPDATE: a message that arrived since the read moved last_message_at and wins.
        unchanged = Transaction.objects.filter(pk=transaction.pk, status=ACTIVE, stale=False,
                                               last_message_at=transaction.last_message_at)
        if transaction.last_message_at is None:
            unchanged = Transaction.objects.filter(pk=transaction.pk, status=ACTIVE, stale=False,
                                                   last_message_at__isnull=True)
        if unchanged.update(stale=True):
            since = transaction.last_message_at or transaction.created_at
            _note(transaction, NoteKind.STALE, f"no message since {since:%Y-%m-%d %H:%M:%S} UTC "
                  f"(over {int(silent_for.total_seconds())} s)", now, "")
            flagged.append(transaction)
    return flagged
