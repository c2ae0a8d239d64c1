"""What the node answers to each malformed frame, as exact CALLERROR text, in both versions."""

import pytest

from node import rpc

V16, V201 = "1.6", "2.0.1"
BOOT_16 = '{"chargePointVendor":"ACME","chargePointModel":"M1"}'
BOOT_201 = '{"reason":"PowerUp","chargingStation":{"model":"M1","vendorName":"ACME"}}'
STATUS_16 = '{"connectorId":%s,"errorCode":"NoError","status":%s,"timestamp":%s}'
STATUS_201 = '{"timestamp":%s,"connectorStatus":%s,"evseId":%s,"connectorId":1}'
NOW = '"2026-11-25T10:00:00Z"'


def answer(text: str | bytes, version: str) -> str:
    with pytest.raises(rpc.RpcError) as caught:
        rpc.parse(text, version)
    return rpc.call_error(caught.value, version)


def both(frame_16: str, frame_201: str):
    return pytest.mark.parametrize("version, expected", [(V16, frame_16), (V201, frame_201)])


@both(
    '[4,"-1","FormationViolation","message is not valid JSON",{}]',
    '[4,"-1","RpcFrameworkError","message is not valid JSON",{}]',
)
@pytest.mark.parametrize(
    "text",
    ['[2,"abc","Heartbeat",{', "", '[2,"a","Heartbeat",{"x":NaN}]', b'[2,"abc","Heartbeat",{"\xff":1}]', "[" * 100_000],
    ids=["truncated", "empty", "NaN", "not UTF-8", "nested too deep"],
)
def test_invalid_json_is_answered_with_id_minus_one(text, version, expected):
    assert answer(text, version) == expected


@both(
    '[4,"-1","FormationViolation","message is not a non-empty JSON array",{}]',
    '[4,"-1","RpcFrameworkError","message is not a non-empty JSON array",{}]',
)
@pytest.mark.parametrize("text", ['{"messageId":"abc"}', '"abc"', "[]"])
def test_json_that_is_not_a_non_empty_array_is_answered_with_id_minus_one(text, version, expected):
    assert answer(text, version) == expected


@both(
    '[4,"abc","FormationViolation","message type is not an integer",{}]',
    '[4,"abc","RpcFrameworkError","message type is not an integer",{}]',
)
@pytest.mark.parametrize("kind", ['"2"', "2.0", "true"])
def test_message_type_that_is_not_an_integer_is_answered_with_the_readable_id(kind, version, expected):
    assert answer(f'[{kind},"abc","Heartbeat",{{}}]', version) == expected


def test_message_type_that_is_not_an_integer_without_readable_id_gets_id_minus_one():
    assert answer('["2",7,"Heartbeat",{}]', V201) == '[4,"-1","RpcFrameworkError","message type is not an integer",{}]'


@pytest.mark.parametrize("text", ['[5,"abc",{}]', '[7,"abc","Heartbeat",{}]', "[7]"])
def test_unknown_message_type_is_ignored_in_16(text):
    assert rpc.parse(text, V16) is None


def test_unknown_message_type_is_answered_message_type_not_supported_in_201():
    assert answer('[5,"abc",{}]', V201) == '[4,"abc","MessageTypeNotSupported","message type 5 is not supported",{}]'


def test_unknown_message_type_without_readable_id_is_answered_with_id_minus_one_in_201():
    assert answer("[7]", V201) == '[4,"-1","MessageTypeNotSupported","message type 7 is not supported",{}]'


@both(
    '[4,"-1","FormationViolation","message id must be a string of 1 to 36 characters",{}]',
    '[4,"-1","RpcFrameworkError","message id must be a string of 1 to 36 characters",{}]',
)
@pytest.mark.parametrize(
    "message_id", ["1", '""', '"%s"' % ("x" * 37), "null"], ids=["numeric", "empty", "37 chars", "null"]
)
def test_unusable_message_id_is_answered_with_id_minus_one(message_id, version, expected):
    assert answer(f'[2,{message_id},"Heartbeat",{{}}]', version) == expected


def test_message_id_of_36_characters_is_accepted():
    assert rpc.parse(f'[2,"{"x" * 36}","Heartbeat",{{}}]', V16) == rpc.Call("x" * 36, "Heartbeat", {})


@both(
    '[4,"abc","ProtocolError","CALL must be [2, id, action, payload]",{}]',
    '[4,"abc","RpcFrameworkError","CALL must be [2, id, action, payload]",{}]',
)
@pytest.mark.parametrize(
    "text",
    ['[2,"abc",{}]', '[2,"abc",7,{}]', '[2,"abc","Heartbeat",{},{}]'],
    ids=["missing action", "numeric action", "five elements"],
)
def test_call_of_the_wrong_shape_is_answered_with_its_id(text, version, expected):
    assert answer(text, version) == expected


@pytest.mark.parametrize("version", [V16, V201])
def test_null_payload_is_read_as_an_empty_object(version):
    assert rpc.parse('[2,"abc","Heartbeat",null]', version) == rpc.Call("abc", "Heartbeat", {})


@pytest.mark.parametrize("version", [V16, V201])
def test_a_valid_call_is_returned_with_its_payload(version):
    boot = BOOT_16 if version == V16 else BOOT_201
    parsed = rpc.parse(f'[2,"abc","BootNotification",{boot}]'.encode(), version)
    assert (parsed.message_id, parsed.action) == ("abc", "BootNotification")


@both(
    '[4,"abc","FormationViolation","payload is not a JSON object",{}]',
    '[4,"abc","FormatViolation","payload is not a JSON object",{}]',
)
@pytest.mark.parametrize("payload", ["[]", '"beat"', "1"])
def test_payload_that_is_not_an_object_is_a_format_violation(payload, version, expected):
    assert answer(f'[2,"abc","Heartbeat",{payload}]', version) == expected


@both(
    '[4,"abc","NotImplemented","action not defined in OCPP 1.6",{}]',
    '[4,"abc","NotImplemented","action not defined in OCPP 2.0.1",{}]',
)
@pytest.mark.parametrize("action", ["FooBar", "__class__", "TransactionEvent1", ""])
def test_unknown_action_is_not_implemented(action, version, expected):
    assert answer(f'[2,"abc","{action}",{{}}]', version) == expected


def test_action_of_the_other_version_is_not_implemented():
    assert (
        answer('[2,"abc","StartTransaction",{}]', V201)
        == '[4,"abc","NotImplemented","action not defined in OCPP 2.0.1",{}]'
    )


@both(
    '[4,"abc","OccurenceConstraintViolation","chargePointVendor: required property missing",'
    '{"field":"chargePointVendor"}]',
    '[4,"abc","OccurrenceConstraintViolation","chargingStation: required property missing",'
    '{"field":"chargingStation"}]',
)
def test_missing_required_field_is_an_occurrence_constraint_violation(version, expected):
    payload = '{"chargePointModel":"M1"}' if version == V16 else '{"reason":"PowerUp"}'
    assert answer(f'[2,"abc","BootNotification",{payload}]', version) == expected


def test_string_connector_id_is_a_type_constraint_violation_in_16():
    payload = STATUS_16 % ('"1"', '"Available"', NOW)
    assert (
        answer(f'[2,"abc","StatusNotification",{payload}]', V16)
        == '[4,"abc","TypeConstraintViolation","connectorId: expected integer, got string",'
        '{"field":"connectorId"}]'
    )


def test_string_evse_id_is_a_type_constraint_violation_in_201():
    payload = STATUS_201 % (NOW, '"Available"', '"1"')
    assert (
        answer(f'[2,"abc","StatusNotification",{payload}]', V201)
        == '[4,"abc","TypeConstraintViolation","evseId: expected integer, got string",'
        '{"field":"evseId"}]'
    )


def test_too_long_string_is_a_type_constraint_violation_in_16():
    payload = '{"chargePointVendor":"%s","chargePointModel":"M1"}' % ("x" * 21)
    assert (
        answer(f'[2,"abc","BootNotification",{payload}]', V16)
        == '[4,"abc","TypeConstraintViolation","chargePointVendor: longer than 20 characters",'
        '{"field":"chargePointVendor"}]'
    )


def test_too_long_nested_string_is_a_type_constraint_violation_in_201():
    payload = '{"reason":"PowerUp","chargingStation":{"model":"M1","vendorName":"%s"}}' % ("x" * 51)
    assert (
        answer(f'[2,"abc","BootNotification",{payload}]', V201)
        == '[4,"abc","TypeConstraintViolation","chargingStation.vendorName: longer than 50 '
        'characters",{"field":"chargingStation.vendorName"}]'
    )


def test_unknown_status_is_a_property_constraint_violation_in_16():
    payload = STATUS_16 % ("1", '"Broken"', NOW)
    assert (
        answer(f'[2,"abc","StatusNotification",{payload}]', V16)
        == '[4,"abc","PropertyConstraintViolation","status: \'Broken\' is not an allowed value",'
        '{"field":"status"}]'
    )


def test_unknown_status_is_a_property_constraint_violation_in_201():
    payload = STATUS_201 % (NOW, '"Broken"', "1")
    assert (
        answer(f'[2,"abc","StatusNotification",{payload}]', V201)
        == '[4,"abc","PropertyConstraintViolation","connectorStatus: \'Broken\' is not an allowed '
        'value",{"field":"connectorStatus"}]'
    )


@pytest.mark.parametrize("stamp", ["2026-11-25 10:00", "2026-11-25T10:00:00"])
def test_timestamp_that_is_not_rfc_3339_is_a_type_constraint_violation_in_16(stamp):
    payload = STATUS_16 % ("1", '"Available"', f'"{stamp}"')
    assert (
        answer(f'[2,"abc","StatusNotification",{payload}]', V16)
        == f'[4,"abc","TypeConstraintViolation","timestamp: \'{stamp}\' is not an RFC 3339 '
        'date-time",{"field":"timestamp"}]'
    )


@pytest.mark.parametrize("stamp", ["2026-11-25 10:00", "2026-11-25T10:00:00"])
def test_timestamp_that_is_not_rfc_3339_is_a_type_constraint_violation_in_201(stamp):
    payload = STATUS_201 % (f'"{stamp}"', '"Available"', "1")
    assert (
        answer(f'[2,"abc","StatusNotification",{payload}]', V201)
        == f'[4,"abc","TypeConstraintViolation","timestamp: \'{stamp}\' is not an RFC 3339 '
        'date-time",{"field":"timestamp"}]'
    )


@both(
    '[4,"abc","FormationViolation","vendorSpecific: not allowed",{"field":"vendorSpecific"}]',
    '[4,"abc","FormatViolation","vendorSpecific: not allowed",{"field":"vendorSpecific"}]',
)
def test_additional_property_is_a_format_violation(version, expected):
    assert answer('[2,"abc","Heartbeat",{"vendorSpecific":1}]', version) == expected


@pytest.mark.parametrize("version", [V16, V201])
@pytest.mark.parametrize(
    "text, parsed",
    [
        (
            '[3,"abc",{"currentTime":"2026-11-25T10:00:00Z"}]',
            rpc.CallResult("abc", {"currentTime": "2026-11-25T10:00:00Z"}),
        ),
        ('[3,"abc",null]', rpc.CallResult("abc", {})),
        (
            '[4,"abc","NotSupported","no such thing",{"why":"old firmware"}]',
            rpc.CallError("abc", "NotSupported", "no such thing", {"why": "old firmware"}),
        ),
        ('[4,"abc","GenericError",""]', rpc.CallError("abc", "GenericError", "", {})),
        ('[4,"-1","FormationViolation","",null]', rpc.CallError("-1", "FormationViolation", "", {})),
    ],
)
def test_answers_to_our_calls_are_parsed(text, parsed, version):
    assert rpc.parse(text, version) == parsed


@pytest.mark.parametrize("version", [V16, V201])
@pytest.mark.parametrize(
    "text",
    [
        "[3]",
        '[3,"abc"]',
        '[3,"abc",[]]',
        '[3,"abc",{},{}]',
        "[3,5,{}]",
        '[3,"",{}]',
        '[4,"abc","GenericError"]',
        '[4,"abc",5,"",{}]',
        '[4,"abc","GenericError",5,{}]',
        '[4,"abc","GenericError","",[]]',
        '[4,"abc","GenericError","",{},1]',
        '[4,null,"X","",{}]',
    ],
)
def test_malformed_answers_are_ignored_because_an_answer_is_never_answered(text, version):
    assert rpc.parse(text, version) is None


def test_description_is_capped_at_255_characters_in_201_only():
    err = rpc.RpcError("GenericError", "x" * 300, message_id="abc")
    assert rpc.call_error(err, V201) == f'[4,"abc","GenericError","{"x" * 255}",{{}}]'
    assert rpc.call_error(err, V16) == f'[4,"abc","GenericError","{"x" * 300}",{{}}]'


@pytest.mark.parametrize(
    "code, spelled_16",
    [
        ("FormatViolation", "FormationViolation"),
        ("OccurrenceConstraintViolation", "OccurenceConstraintViolation"),
        ("RpcFrameworkError", "GenericError"),
        ("MessageTypeNotSupported", "GenericError"),
        ("GenericError", "GenericError"),
        ("InternalError", "InternalError"),
        ("NotImplemented", "NotImplemented"),
        ("NotSupported", "NotSupported"),
        ("PropertyConstraintViolation", "PropertyConstraintViolation"),
        ("ProtocolError", "ProtocolError"),
        ("SecurityError", "SecurityError"),
        ("TypeConstraintViolation", "TypeConstraintViolation"),
    ],
)
def test_error_codes_are_spelled_as_each_version_spells_them(code, spelled_16):
    assert (rpc.error_code(code, V16), rpc.error_code(code, V201)) == (spelled_16, code)


def test_an_error_code_outside_ocpp_j_is_refused():
    with pytest.raises(ValueError):
        rpc.RpcError("Oops")


def test_frames_we_send_are_compact_json_in_utf_8():
    assert (
        rpc.call("c1", "DataTransfer", {"vendorId": "ACME", "data": "été"})
        == '[2,"c1","DataTransfer",{"vendorId":"ACME","data":"été"}]'
    )
    assert rpc.call_result("abc", {"status": "Accepted"}) == '[3,"abc",{"status":"Accepted"}]'
    assert (
        rpc.call_error(rpc.RpcError("InternalError", "boom", message_id="abc", details={"hint": "retry"}), V201)
        == '[4,"abc","InternalError","boom",{"hint":"retry"}]'
    )
