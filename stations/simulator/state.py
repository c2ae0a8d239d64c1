"""What a simulated station remembers between the CSMS's operations: its connectors and a few lists.

No I/O here. In 2.0.1 each connector is alone on its own EVSE (EVSE n, connector 1), as in
payloads.status_notification, so "connector n" means EVSE n there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ocpp.v16 import enums as v16
from ocpp.v201 import enums as v201

if TYPE_CHECKING:
    from .sessions import Session

Payload = dict[str, Any]


@dataclass
class Reservation:
    id: int
    connector: int
    id_tag: str


@dataclass
class Connector:
    number: int
    operative: bool = True
    scheduled: bool | None = None  # ChangeAvailability answered Scheduled: the state once the session ends
    session: Session | None = None
    reservation: Reservation | None = None

    def takes(self, id_tag: str) -> bool:
        """Whether a session for `id_tag` may start here now."""
        if not self.operative or self.session is not None:
            return False
        return self.reservation is None or self.reservation.id_tag == id_tag

    def status(self, version: str) -> str:
        """The StatusNotification status when nothing else is said (sessions send their own)."""
        if version == "1.6":
            if self.session is not None:
                return v16.ChargePointStatus.charging
            if self.reservation is not None:
                return v16.ChargePointStatus.reserved
            return v16.ChargePointStatus.available if self.operative else v16.ChargePointStatus.unavailable
        if self.session is not None:
            return v201.ConnectorStatusEnumType.occupied
        if self.reservation is not None:
            return v201.ConnectorStatusEnumType.reserved
        return v201.ConnectorStatusEnumType.available if self.operative else v201.ConnectorStatusEnumType.unavailable


@dataclass
class StationState:
    connectors: dict[int, Connector]
    local_list_version: int = 0
    local_list: dict[str, Payload] = field(default_factory=dict)  # id tag -> its idTagInfo / idTokenInfo
    profiles: dict[int, Payload] = field(default_factory=dict)  # profile id -> {"connector": n, "profile": ...}
    display_messages: dict[int, Payload] = field(default_factory=dict)  # 2.0.1 message id -> MessageInfo
    firmware_status: str = v16.FirmwareStatus.idle  # spelled alike in both versions
    upload_status: str = v16.DiagnosticsStatus.idle  # the last diagnostics / log upload
    request_ids: dict[str, int] = field(default_factory=dict)  # "firmware" / "log" -> the last requestId

    @classmethod
    def with_connectors(cls, count: int) -> StationState:
        return cls({n: Connector(n) for n in range(1, count + 1)})

    def connector(self, number: Any) -> Connector | None:
        return self.connectors.get(number) if isinstance(number, int) else None

    def free(self, id_tag: str) -> Connector | None:
        """The connector reserved for `id_tag`, else the first free unreserved one."""
        takers = [c for c in self.connectors.values() if c.takes(id_tag)]
        reserved = [c for c in takers if c.reservation is not None]
        return (reserved or takers or [None])[0]

    def availability(self, evse: int | None) -> str:
        """2.0.1 AvailabilityState of the station (evse None: Available while any EVSE is) or of one EVSE."""
        connectors = self.connectors.values() if evse is None else [self.connectors[evse]]
        statuses = {c.status("2.0.1") for c in connectors}
        return next((s for s in ("Available", "Occupied", "Reserved") if s in statuses), "Unavailable")

    def sessions(self) -> list[Session]:
        return [c.session for c in self.connectors.values() if c.session is not None]

    def session(self, transaction_id: Any) -> Session | None:
        return next((s for s in self.sessions() if s.transaction_id == transaction_id), None)

    def reservation(self, reservation_id: Any) -> Connector | None:
        return next((c for c in self.connectors.values() if c.reservation and c.reservation.id == reservation_id), None)

    def claim(self, connector: Connector, session: Session) -> None:
        """The session starts on `connector`, using its reservation when that was for the session's tag."""
        if connector.reservation is not None and connector.reservation.id_tag == session.id_tag:
            session.reservation_id = connector.reservation.id
            connector.reservation = None
        connector.session = session

    def release(self, session: Session) -> Connector | None:
        """The session ended: free its connector and apply an availability change scheduled meanwhile."""
        connector = self.connectors.get(session.connector)
        if connector is None or connector.session is not session:
            return None
        connector.session = None
        if connector.scheduled is not None:
            connector.operative, connector.scheduled = connector.scheduled, None
        return connector
