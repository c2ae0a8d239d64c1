"""The node's report on a command it delivered (or could not): kind `command_result`."""

from datetime import datetime

from csms.envelope import Envelope
from csms.router import handles_event
from stations import services


@handles_event("command_result")
def on_command_result(envelope: Envelope) -> dict:
    p = envelope.payload
    command = services.record_command_result(
        message_id=envelope.id, outcome=p.get("outcome", "error"), response=p.get("response"),
        code=p.get("code", ""), description=p.get("description", ""), at=datetime.fromisoformat(envelope.at))
    return {"status": command.status if command else "unknown"}
