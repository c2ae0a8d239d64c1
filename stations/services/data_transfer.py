"""DataTransfer from stations (both versions): a registry of vendor extensions, one decorated function each.

    @data_transfer_vendor("com.example")
    def example(request: DataTransferRequest) -> DataTransferReply:
        if request.message_id != "Price":
            return DataTransferReply(DataTransferStatus.UNKNOWN_MESSAGE_ID)
        return DataTransferReply(DataTransferStatus.ACCEPTED, data="0.35 EUR/kWh")

A vendor without a function is answered UnknownVendorId. The function runs inside the message's
transaction with the station row locked, and runs again for a re-sent message: it must be idempotent.
Its module must be imported by a worker: list it in csms.router.HANDLER_MODULES (or import it from one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from django.db import models

from stations.models import ChargingStation
from stations.services.notifications import Notification, locked_station, store_message


class DataTransferStatus(models.TextChoices):
    """What a vendor function answers; mapped to each version's DataTransferStatus in stations/ocpp/."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNKNOWN_MESSAGE_ID = "unknown_message_id", "Unknown message id"
    UNKNOWN_VENDOR_ID = "unknown_vendor_id", "Unknown vendor id"


@dataclass(frozen=True)
class DataTransferRequest:
    """What a vendor function is given. `data` is a string (or None) in 1.6, any JSON value (or None) in 2.0.1."""

    station: ChargingStation
    ocpp_version: str
    vendor_id: str
    message_id: str  # "" when the station sent none; a CiString, so compare it ignoring case
    data: Any


@dataclass(frozen=True)
class DataTransferReply:
    """The answer. 1.6 carries `data` as a string: anything else is sent as JSON text there."""

    status: DataTransferStatus
    data: Any = None


VendorFunction = Callable[[DataTransferRequest], DataTransferReply]

_vendors: dict[str, VendorFunction] = {}


def data_transfer_vendor(vendor_id: str) -> Callable[[VendorFunction], VendorFunction]:
    """Register the function answering DataTransfer for `vendor_id` (both versions, matched ignoring case)."""
    key = _key(vendor_id)

    def register(func: VendorFunction) -> VendorFunction:
        if key in _vendors:
            raise ValueError(f"DataTransfer vendor {vendor_id!r} is already handled by {_vendors[key].__name__}")
        _vendors[key] = func
        return func

    return register


def _key(vendor_id: str) -> str:
    # vendorId is a CiString in both versions: OCPP compares it without regard to case.
    return vendor_id.casefold()


def receive_data_transfer(*, notification: Notification, vendor_id: str, message_id: str,
                          data: Any) -> DataTransferReply:
    """Ask the vendor's function (UnknownVendorId without one) and store the message with the answer's gist."""
    station = locked_station(notification.station_id)
    vendor = _vendors.get(_key(vendor_id))
    if vendor is None:
        reply = DataTransferReply(DataTransferStatus.UNKNOWN_VENDOR_ID)
    else:
        reply = vendor(DataTransferRequest(station=station, ocpp_version=notification.ocpp_version,
                                           vendor_id=vendor_id, message_id=message_id, data=data))
    summary = f"{vendor_id} {message_id or '(no message id)'}: {reply.status.label}"
    store_message(station, replace(notification, summary=summary))
    return reply
