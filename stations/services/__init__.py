"""Writes about stations, version-agnostic: the 1.6 and 2.0.1 handlers translate payloads into these calls.

Each runs inside the caller's transaction (one per message, see csms.dispatch); messages
to nodes are published on commit, so nothing is announced that was not stored.
"""

from stations.services.commands import (
    expire_commands,
    issue_command,
    record_command_result,
    send_queued_commands,
    send_waiting_commands,
    wait_for_command,
)
from stations.services.connections import (
    Admission,
    Handshake,
    admit_connection,
    admit_connections,
    mark_node_offline,
    mark_silent_nodes_offline,
    record_disconnect,
    record_node_heartbeat,
)
from stations.services.data_transfer import (
    DataTransferReply,
    DataTransferRequest,
    DataTransferStatus,
    data_transfer_vendor,
    receive_data_transfer,
)
from stations.services.device_model import (
    Characteristics,
    ReportedKey,
    ReportedVariable,
    record_configuration_change,
    record_configuration_keys,
    record_device_variables,
    record_report_page,
)
from stations.services.lifecycle import (
    Boot,
    BootIdentity,
    StatusReport,
    record_boot,
    record_boots,
    record_heartbeat,
    record_status,
    record_statuses,
)
from stations.services.notifications import (
    Notification,
    follow_command,
    record_firmware_status,
    record_station_message,
    record_upload_status,
)
from stations.services.provisioning import StationSpec, provision_station

__all__ = [
    "expire_commands", "issue_command", "record_command_result", "send_queued_commands", "send_waiting_commands",
    "wait_for_command",
    "Admission", "Boot", "BootIdentity", "Handshake", "StationSpec", "StatusReport", "admit_connection",
    "admit_connections", "mark_node_offline", "mark_silent_nodes_offline", "provision_station", "record_boot",
    "record_boots", "record_disconnect", "record_heartbeat", "record_node_heartbeat", "record_status",
    "record_statuses",
    # notifications and DataTransfer
    "DataTransferReply", "DataTransferRequest", "DataTransferStatus", "Notification", "data_transfer_vendor",
    "receive_data_transfer", "record_firmware_status", "record_station_message", "record_upload_status",
    # configuration keys, device model, firmware / upload commands
    "Characteristics", "ReportedKey", "ReportedVariable", "follow_command", "record_configuration_change",
    "record_configuration_keys", "record_device_variables", "record_report_page",
]
