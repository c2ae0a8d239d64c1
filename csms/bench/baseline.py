"""The in-memory reference server: what Python, the `ocpp` library and `websockets` do on this machine.

`python -m csms.bench.baseline --port P` accepts any station at /<anything>/<station id> with subprotocol
ocpp1.6 or ocpp2.0.1 and answers BootNotification, Heartbeat, StatusNotification, MeterValues, Authorize,
Start/StopTransaction (1.6) and TransactionEvent (2.0.1) with the library's schemas validating both ways.
No broker, no database: the figures of `manage.py bench` are read as ratios to this.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import signal
from datetime import UTC, datetime

from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call_result as result16
from ocpp.v16.enums import Action as Action16
from ocpp.v16.enums import AuthorizationStatus, RegistrationStatus
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call_result as result201
from ocpp.v201.enums import Action as Action201
from ocpp.v201.enums import AuthorizationStatusEnumType, RegistrationStatusEnumType
from websockets.asyncio.server import ServerConnection, serve

HEARTBEAT_INTERVAL = 300
_transaction_ids = itertools.count(1)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Station16(ChargePoint16):
    @on(Action16.boot_notification)
    def on_boot_notification(self, **_):
        return result16.BootNotification(current_time=_now(), interval=HEARTBEAT_INTERVAL,
                                         status=RegistrationStatus.accepted)

    @on(Action16.heartbeat)
    def on_heartbeat(self, **_):
        return result16.Heartbeat(current_time=_now())

    @on(Action16.status_notification)
    def on_status_notification(self, **_):
        return result16.StatusNotification()

    @on(Action16.meter_values)
    def on_meter_values(self, **_):
        return result16.MeterValues()

    @on(Action16.authorize)
    def on_authorize(self, **_):
        return result16.Authorize(id_tag_info={"status": AuthorizationStatus.accepted})

    @on(Action16.start_transaction)
    def on_start_transaction(self, **_):
        return result16.StartTransaction(transaction_id=next(_transaction_ids),
                                         id_tag_info={"status": AuthorizationStatus.accepted})

    @on(Action16.stop_transaction)
    def on_stop_transaction(self, **_):
        return result16.StopTransaction()


class Station201(ChargePoint201):
    @on(Action201.boot_notification)
    def on_boot_notification(self, **_):
        return result201.BootNotification(current_time=_now(), interval=HEARTBEAT_INTERVAL,
                                          status=RegistrationStatusEnumType.accepted)

    @on(Action201.heartbeat)
    def on_heartbeat(self, **_):
        return result201.Heartbeat(current_time=_now())

    @on(Action201.status_notification)
    def on_status_notification(self, **_):
        return result201.StatusNotification()

    @on(Action201.meter_values)
    def on_meter_values(self, **_):
        return result201.MeterValues()

    @on(Action201.authorize)
    def on_authorize(self, **_):
        return result201.Authorize(id_token_info={"status": AuthorizationStatusEnumType.accepted})

    @on(Action201.transaction_event)
    def on_transaction_event(self, id_token=None, **_):
        if id_token is None:
            return result201.TransactionEvent()
        return result201.TransactionEvent(id_token_info={"status": AuthorizationStatusEnumType.accepted})


STATIONS = {"ocpp1.6": Station16, "ocpp2.0.1": Station201}


async def handle(connection: ServerConnection) -> None:
    station_class = STATIONS.get(connection.subprotocol or "")
    if station_class is None:
        await connection.close(1002, "no OCPP subprotocol")
        return
    station_id = connection.request.path.rstrip("/").rpartition("/")[2]
    try:
        await station_class(station_id, connection).start()
    except Exception:  # a closed connection ends start(); nothing to keep
        pass


async def main(host: str, port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    async with serve(handle, host, port, subprotocols=["ocpp2.0.1", "ocpp1.6"], ping_interval=None,
                     max_queue=None, backlog=4096):
        print(f"baseline listening on {host}:{port}", flush=True)
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    args = parser.parse_args()
    asyncio.run(main(args.host, args.port))
