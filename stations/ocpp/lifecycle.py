"""Node events about sockets and nodes (not OCPP actions): connect, disconnect, node heartbeat, stations seen."""

from datetime import datetime

from csms.envelope import Envelope
from csms.router import handles_event, handles_event_batch
from stations import services
from stations.services.lifecycle import record_seen


def _at(envelope: Envelope) -> datetime:
    return datetime.fromisoformat(envelope.at)


def _handshake(envelope: Envelope) -> services.Handshake:
    p = envelope.payload
    return services.Handshake(
        station_id=envelope.station, node_id=envelope.node, conn=envelope.conn, ocpp_version=envelope.ocpp,
        offered=p.get("offered", []), username=p.get("username"), password=p.get("password"),
        remote_addr=p.get("remote", ""), at=_at(envelope))


def _answer(admission: services.Admission) -> dict:
    return {"accepted": admission.accepted, "http_status": admission.http_status, "reason": admission.reason,
            "boot_accepted": admission.boot_accepted}


@handles_event("connect")
def on_connect(envelope: Envelope) -> dict:
    return _answer(services.admit_connections([_handshake(envelope)])[0])


@handles_event_batch("connect")
def on_connects(envelopes: list[Envelope]) -> list[dict]:
    """A batch's handshakes at once (a boot storm reconnecting every station); each of another station."""
    return [_answer(a) for a in services.admit_connections([_handshake(e) for e in envelopes])]


@handles_event("disconnect")
def on_disconnect(envelope: Envelope) -> dict:
    owned = services.record_disconnect(station_id=envelope.station, node_id=envelope.node, conn=envelope.conn,
                                       reason=envelope.payload.get("reason", ""), at=_at(envelope))
    return {"marked_offline": owned}


@handles_event("node_heartbeat")
def on_node_heartbeat(envelope: Envelope) -> dict:
    services.record_node_heartbeat(node_id=envelope.node, at=_at(envelope))
    if envelope.payload.get("stopping"):
        return {"marked_offline": services.mark_node_offline(node_id=envelope.node)}
    return {}


@handles_event("seen")
def on_seen(envelope: Envelope) -> dict:
    """Heartbeats the node answered itself since its last report, {station id: {conn, at}}."""
    stations = envelope.payload.get("stations", {})
    seen = {station_id: (entry["conn"], datetime.fromisoformat(entry["at"])) for station_id, entry in stations.items()}
    return {"matched": record_seen(seen=seen)}
