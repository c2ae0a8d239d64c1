"""The registry of handlers and central's entry point around it: one handler per key, errors as OCPP codes."""

import pytest
from ocpp.v16.enums import Action as Action16

from csms import router
from csms.dispatch import handle_envelopes
from node.schemas import ACTIONS
from stations import services
from stations.models import Node
from tests.support.envelopes import call, send

# What each version lets a station send (the CALLs a CSMS answers); everything else is CSMS -> station.
STATION_TO_CSMS = {
    "1.6": frozenset({
        "Authorize", "BootNotification", "DataTransfer", "DiagnosticsStatusNotification", "FirmwareStatusNotification",
        "Heartbeat", "MeterValues", "StartTransaction", "StatusNotification", "StopTransaction",
        # Security extension (1.6 edition 2)
        "LogStatusNotification", "SecurityEventNotification", "SignCertificate", "SignedFirmwareStatusNotification",
    }),
    "2.0.1": frozenset({
        "Authorize", "BootNotification", "ClearedChargingLimit", "DataTransfer", "FirmwareStatusNotification",
        "Get15118EVCertificate", "GetCertificateStatus", "Heartbeat", "LogStatusNotification", "MeterValues",
        "NotifyChargingLimit", "NotifyCustomerInformation", "NotifyDisplayMessages", "NotifyEVChargingNeeds",
        "NotifyEVChargingSchedule", "NotifyEvent", "NotifyMonitoringReport", "NotifyReport",
        "PublishFirmwareStatusNotification", "ReportChargingProfiles", "ReservationStatusUpdate",
        "SecurityEventNotification", "SignCertificate", "StatusNotification", "TransactionEvent",
    }),
}
versions = pytest.mark.parametrize("version", ["1.6", "2.0.1"])


def test_registering_an_action_twice_raises():
    with pytest.raises(ValueError, match="already handled"):
        router.handles("1.6", Action16.boot_notification)(lambda envelope: {})


def test_registering_an_event_twice_raises():
    with pytest.raises(ValueError, match="already handled"):
        router.handles_event("connect")(lambda envelope: {})


def test_registering_for_an_unknown_version_raises():
    with pytest.raises(ValueError, match="unknown OCPP version"):
        router.handles("2.1", "BootNotification")


def test_the_station_to_csms_lists_are_actions_of_their_version():
    assert {version: actions - ACTIONS[version] for version, actions in STATION_TO_CSMS.items()} == {
        "1.6": set(), "2.0.1": set()}


@versions
def test_every_registered_action_is_a_station_to_csms_action_of_its_version(version):
    assert router.registered_actions(version) - STATION_TO_CSMS[version] == set()


@versions
def test_the_lifecycle_actions_are_registered(version):
    assert {"BootNotification", "Heartbeat", "StatusNotification"} <= router.registered_actions(version)


@pytest.mark.django_db
@versions
def test_a_valid_action_without_a_handler_is_answered_not_supported(station, version):
    # Every station action is handled (tests/test_handler_coverage.py); Reset is the CSMS's to send.
    reply = send(call(station, version, "Reset", {"type": "Soft" if version == "1.6" else "Immediate"}))

    assert (reply["kind"], reply["payload"]["code"]) == ("error", "NotSupported")


@pytest.mark.django_db
def test_an_unexpected_failure_is_answered_internal_error(station, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(services, "record_heartbeat", broken)

    reply = send(call(station, "1.6", "Heartbeat", {}, message_id="m-1"))

    assert (reply["kind"], reply["id"], reply["payload"]["code"]) == ("error", "m-1", "InternalError")
    assert "bug" not in reply["payload"]["description"]  # internals stay in the log


@pytest.mark.django_db
def test_what_a_failing_handler_wrote_is_rolled_back(station, monkeypatch):
    def writes_then_fails(**kwargs):
        Node.objects.create(node_id="half-done", first_heartbeat=kwargs["at"], last_heartbeat=kwargs["at"])
        raise RuntimeError("bug")

    monkeypatch.setattr(services, "record_heartbeat", writes_then_fails)

    send(call(station, "1.6", "Heartbeat", {}))

    assert not Node.objects.filter(node_id="half-done").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("data", [{"kind": "gossip"}, {"kind": "call", "ocpp": "1.5"}, {"v": 9, "kind": "call"},
                                  "not an object"],
                         ids=["unknown kind", "unknown OCPP version", "unknown format version", "not an object"])
def test_an_invalid_envelope_is_dropped_without_a_reply(data):
    assert handle_envelopes([data]) == [None]


@pytest.mark.django_db
def test_an_envelope_kind_central_does_not_handle_is_dropped_without_a_reply(station):
    assert handle_envelopes([{"kind": "result", "station": station.station_id}]) == [None]


@pytest.mark.django_db
def test_one_bad_envelope_does_not_sink_the_others_in_a_batch(station):
    heartbeat = call(station, "2.0.1", "Heartbeat", {}).to_dict()

    replies = handle_envelopes([heartbeat, {"kind": "gossip"}, heartbeat])

    assert [reply and reply["kind"] for reply in replies] == ["result", None, "result"]
