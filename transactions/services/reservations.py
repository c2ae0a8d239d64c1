"""Reservations: what the station answered to ReserveNow / CancelReservation, and what became of them.

A row exists once the station answered (the Command holds the request until then). An accepted
reservation is active until a session uses it, it is cancelled, the station removes it or it expires
(lazily at a start, by `expire_reservations`, or by a 2.0.1 ReservationStatusUpdate). A start by
another token on the reserved EVSE is recorded like any start, answered Invalid and noted: the station
should have refused it itself. Authorize names no EVSE in either version, so it cannot be checked there.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from django.db.models import Q

from stations.models import ChargingStation, Command
from transactions.choices import AuthStatus, NoteKind, ReservationStatus
from transactions.models import Reservation, Transaction
from transactions.services.notes import add_note
from transactions.services.tokens import Authorization

ACTIVE = ReservationStatus.ACCEPTED


def record_reserve_now_answer(command: Command, *, reservation_id: int, evse_id: int | None, id_token_value: str,
                              group_id_token_value: str, connector_type: str, expires_at: datetime,
                              status: ReservationStatus) -> Reservation | None:
    """Store the station's answer. The same id again replaces the reservation (as the station does) when
    accepted; a refusal never overwrites an existing reservation. Returns the row written, if any."""
    fields = {"evse_id": evse_id or None, "id_token_value": id_token_value, "connector_type": connector_type,
              "group_id_token_value": group_id_token_value, "expires_at": expires_at, "status": status,
              "command": command, "transaction": None}
    existing = Reservation.objects.select_for_update().filter(station_id=command.station_id,
                                                              reservation_id=reservation_id).first()
    if existing is None:
        return Reservation.objects.create(station_id=command.station_id, reservation_id=reservation_id, **fields)
    if status != ACTIVE:
        return None
    for name, value in fields.items():
        setattr(existing, name, value)
    existing.save()
    return existing


def record_cancel_answer(command: Command, *, reservation_id: int) -> Reservation | None:
    """CancelReservation accepted: the reservation is cancelled (if central knows it and it was active)."""
    return _end(command.station_id, reservation_id, ReservationStatus.CANCELLED)


def record_reservation_status(*, station_id: str, reservation_id: int, status: ReservationStatus) -> Reservation | None:
    """2.0.1 ReservationStatusUpdate (Expired -> EXPIRED, Removed -> REMOVED) on an active reservation."""
    station_pk = ChargingStation.objects.filter(station_id=station_id).values_list("pk", flat=True).first()
    return None if station_pk is None else _end(station_pk, reservation_id, status)


def _end(station_pk: int, reservation_id: int, status: ReservationStatus) -> Reservation | None:
    reservation = Reservation.objects.select_for_update().filter(station_id=station_pk, reservation_id=reservation_id,
                                                                 status=ACTIVE).first()
    if reservation is not None:
        reservation.status = status
        reservation.save(update_fields=["status", "updated_at"])
    return reservation


def expire_reservations(*, now: datetime) -> int:
    """Periodic: active reservations past their expiry are expired; returns how many."""
    return Reservation.objects.filter(status=ACTIVE, expires_at__lte=now).update(status=ReservationStatus.EXPIRED,
                                                                                   updated_at=now)


def _holder(reservation: Reservation, auth: Authorization, value: str) -> bool:
    """The reserved token, or one of its group (as 1.6 parentIdTag / 2.0.1 groupIdToken define)."""
    reserved = {reservation.id_token_value.casefold()}
    if reservation.group_id_token_value:
        reserved.add(reservation.group_id_token_value.casefold())
    return value.casefold() in reserved or bool(auth.parent_value and auth.parent_value.casefold() in reserved)


def honour_reservation(transaction: Transaction, auth: Authorization, *, value: str, reservation_id: int | None,
                       at: datetime, message_id: str) -> Authorization:
    """A session starts: the reservation it names (or an active one on its EVSE) is used by the holder's start;
    another token's start is answered Invalid and noted. Returns the authorisation to answer."""
    station = transaction.station
    active = Reservation.objects.select_for_update().filter(station=station)
    if reservation_id is not None:
        reservation = active.filter(reservation_id=reservation_id).exclude(
            status__in=[ReservationStatus.USED, ReservationStatus.CANCELLED]).first()
    else:
        mine = active.filter(status=ACTIVE, expires_at__gt=at).filter(
            Q(evse_id=transaction.evse_id) | Q(evse_id__isnull=True)).order_by("expires_at")
        held = [r for r in mine if _holder(r, auth, value)]
        specific = [r for r in mine if r.evse_id is not None]
        reservation = held[0] if held else (specific[0] if specific else None)
    if reservation is None:
        return auth
    if _holder(reservation, auth, value):
        reservation.status, reservation.transaction = ReservationStatus.USED, transaction
        reservation.save(update_fields=["status", "transaction", "updated_at"])
        return auth
    add_note(station=station, transaction=transaction, kind=NoteKind.RESERVATION,
             detail=f"EVSE {transaction.evse_id} is reserved (reservation {reservation.reservation_id}) for "
                    f"{reservation.id_token_value!r}; token {value!r} answered Invalid", at=at, message_id=message_id)
    return replace(auth, status=AuthStatus.INVALID) if auth.status == AuthStatus.ACCEPTED else auth
