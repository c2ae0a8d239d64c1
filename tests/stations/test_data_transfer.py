"""DataTransfer from stations, both versions: unknown vendors, and vendor extensions registered by decorator."""

import pytest

from node import schemas
from stations.models import StationMessage
from stations.services import data_transfer
from stations.services.data_transfer import (
    DataTransferReply,
    DataTransferRequest,
    DataTransferStatus,
    data_transfer_vendor,
)
from tests.support.envelopes import call, send

pytestmark = pytest.mark.django_db
versions = pytest.mark.parametrize("version", ["1.6", "2.0.1"])


@pytest.fixture
def vendors(monkeypatch):
    """An empty vendor registry for the test, so registrations here never leak into other tests."""
    monkeypatch.setattr(data_transfer, "_vendors", {})
    return data_transfer._vendors


@pytest.fixture
def example_vendor(vendors):
    """com.example answers a price for messageId Price, refuses Shutdown, and knows no other message."""
    received = []

    @data_transfer_vendor("com.example")
    def example(request: DataTransferRequest) -> DataTransferReply:
        received.append(request)
        if request.message_id == "Price":
            return DataTransferReply(DataTransferStatus.ACCEPTED, data="0.35 EUR/kWh")
        if request.message_id == "Shutdown":
            return DataTransferReply(DataTransferStatus.REJECTED)
        return DataTransferReply(DataTransferStatus.UNKNOWN_MESSAGE_ID)

    return received


def transfer(station, version, **payload):
    reply = send(call(station, version, "DataTransfer", payload))
    schemas.validate(version, "DataTransfer", payload)
    assert reply["kind"] == "result", reply
    schemas.validate(version, "DataTransfer", reply["payload"], response=True)
    return reply["payload"]


@versions
def test_a_vendor_without_a_function_is_answered_unknown_vendor_id(station, vendors, version):
    assert transfer(station, version, vendorId="com.nobody", messageId="Hello") == {"status": "UnknownVendorId"}


@versions
def test_an_unknown_vendors_message_is_still_stored(station, vendors, version):
    transfer(station, version, vendorId="com.nobody", messageId="Hello", data="hi")

    message = StationMessage.objects.get()
    assert (message.action, message.summary, message.payload) == (
        "DataTransfer", "com.nobody Hello: Unknown vendor id",
        {"vendorId": "com.nobody", "messageId": "Hello", "data": "hi"})


@versions
def test_a_registered_vendor_answers_accepted_with_its_data(station, example_vendor, version):
    assert transfer(station, version, vendorId="com.example", messageId="Price") == {
        "status": "Accepted", "data": "0.35 EUR/kWh"}


@versions
def test_a_registered_vendor_may_reject(station, example_vendor, version):
    assert transfer(station, version, vendorId="com.example", messageId="Shutdown") == {"status": "Rejected"}


@versions
def test_a_registered_vendor_answers_unknown_message_id_for_a_message_it_does_not_know(station, example_vendor,
                                                                                        version):
    assert transfer(station, version, vendorId="com.example", messageId="Teleport") == {
        "status": "UnknownMessageId"}
    assert StationMessage.objects.get().summary == "com.example Teleport: Unknown message id"


@versions
def test_the_vendor_function_gets_the_station_version_message_id_and_data(station, example_vendor, version):
    transfer(station, version, vendorId="com.example", messageId="Price", data="kWh")

    [request] = example_vendor
    assert (request.station, request.ocpp_version, request.vendor_id, request.message_id, request.data) == (
        station, version, "com.example", "Price", "kWh")


@versions
def test_a_transfer_without_message_id_or_data_reaches_the_vendor_as_empty(station, example_vendor, version):
    transfer(station, version, vendorId="com.example")

    [request] = example_vendor
    assert (request.message_id, request.data) == ("", None)
    assert StationMessage.objects.get().summary == "com.example (no message id): Unknown message id"


def test_201_data_may_be_any_json_and_is_answered_as_such(station, vendors):
    @data_transfer_vendor("com.example")
    def echo(request):
        return DataTransferReply(DataTransferStatus.ACCEPTED, data={"echo": request.data})

    assert transfer(station, "2.0.1", vendorId="com.example", data=[1, {"a": None}]) == {
        "status": "Accepted", "data": {"echo": [1, {"a": None}]}}


def test_16_data_is_a_string_so_other_answers_are_sent_as_json_text(station, vendors):
    @data_transfer_vendor("com.example")
    def echo(request):
        return DataTransferReply(DataTransferStatus.ACCEPTED, data={"echo": request.data})

    assert transfer(station, "1.6", vendorId="com.example", data="x") == {
        "status": "Accepted", "data": '{"echo": "x"}'}


def test_registering_a_vendor_twice_raises(vendors):
    data_transfer_vendor("com.example")(lambda request: DataTransferReply(DataTransferStatus.ACCEPTED))

    with pytest.raises(ValueError, match="already handled"):
        data_transfer_vendor("COM.EXAMPLE")(lambda request: DataTransferReply(DataTransferStatus.REJECTED))


def test_a_vendor_id_is_matched_ignoring_case_as_ocpp_cistrings_are(station, example_vendor):
    assert transfer(station, "1.6", vendorId="COM.Example", messageId="Price")["status"] == "Accepted"


@versions
def test_a_transfer_from_an_unknown_station_is_a_security_error(db, example_vendor, version):
    reply = send(call("CP-NOBODY", version, "DataTransfer", {"vendorId": "com.example", "messageId": "Price"}))

    assert (reply["kind"], reply["payload"]["code"]) == ("error", "SecurityError")
    assert example_vendor == []
