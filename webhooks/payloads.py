"""The `data` of each event: plain JSON (Decimals and datetimes become strings when stored).

Builders take the rows the services already hold, so a hook is one line and costs no query.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


def session(transaction) -> dict[str, Any]:
    """session.started / session.ended: a Transaction."""
    return {
        "transaction_id": transaction.pk, "station_id": transaction.station.station_id,
        "ocpp_version": transaction.ocpp_version, "station_tx_id": transaction.station_tx_id,
        "evse_id": transaction.evse_id, "connector_id": transaction.connector_id, "status": transaction.status,
        "id_token": transaction.id_token_value, "auth_status": transaction.auth_status,
        "started_at": transaction.started_at, "ended_at": transaction.ended_at, "stop_reason": transaction.stop_reason,
        "meter_start_wh": transaction.meter_start_wh, "meter_stop_wh": transaction.meter_stop_wh,
        "energy_wh": transaction.energy_wh, "closed_by": transaction.closed_by, "orphan": transaction.orphan,
    }


def station_online(station, *, at: datetime) -> dict[str, Any]:
    return {"station_id": station.station_id, "ocpp_version": station.ocpp_version, "node_id": station.node.node_id,
            "at": at}


def station_offline(station_id: str, *, reason: str, at: datetime) -> dict[str, Any]:
    return {"station_id": station_id, "reason": reason, "at": at}


def status_changed(station_id: str, *, evse_id: int, connector_id: int, status: str, previous: str,
                   error_code: str, reported_at: datetime) -> dict[str, Any]:
    """evse_id 0: the station itself."""
    return {"station_id": station_id, "evse_id": evse_id, "connector_id": connector_id, "status": status,
            "previous_status": previous, "error_code": error_code, "reported_at": reported_at}


def command(command) -> dict[str, Any]:
    """command.answered: a Command that reached a final status (answered, refused, failed, timed out...)."""
    return {
        "command_id": command.pk, "station_id": command.station.station_id, "action": command.action,
        "ocpp_version": command.ocpp_version, "status": command.status, "response": command.response,
        "error_code": command.error_code, "error_description": command.error_description,
        "requested_by": command.requested_by, "answered_at": command.answered_at,
    }
