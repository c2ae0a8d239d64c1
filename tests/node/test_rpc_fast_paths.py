"""The shortcuts node.rpc takes on every frame answer as the full checks did: one JSON decoder and encoder made
once, and the surrogate check run only on frames that could hold one (an escape or a non-ASCII character)."""

import json

import pytest

from node import rpc

V16, V201 = "1.6", "2.0.1"


def data_transfer(data: str) -> str:
    return f'[2,"m1","DataTransfer",{{"vendorId":"V","data":"{data}"}}]'


def refusal(text: str, version: str = V201) -> tuple[str, str]:
    with pytest.raises(rpc.RpcError) as caught:
        rpc.parse(text, version)
    return caught.value.code, caught.value.description


@pytest.mark.parametrize("text", [data_transfer("\\ud800"), data_transfer("x\\uDFFFy"), data_transfer("é\ud800")],
                         ids=["escaped high surrogate", "escaped low surrogate", "raw surrogate"])
def test_a_lone_surrogate_is_refused_whether_escaped_or_raw(text):
    assert refusal(text) == ("RpcFrameworkError", "message holds an unpaired UTF-16 surrogate")


@pytest.mark.parametrize("data", ["\\ud83d\\ude00", "\\\\ud800", "Grüße", "plain"],
                         ids=["escaped pair", "escaped backslash then ud800", "non-ASCII", "ASCII"])
def test_frames_without_a_lone_surrogate_pass(data):
    call = rpc.parse(data_transfer(data), V16)

    assert call.payload["data"] == json.loads(f'"{data}"')


@pytest.mark.parametrize("text", ["\ufeff" + data_transfer("a"), data_transfer("a").replace('"a"', "Infinity"),
                                  data_transfer("a").replace('"a"', "1e400"), data_transfer("a") + " []"],
                         ids=["byte order mark", "Infinity", "beyond a double", "trailing data"])
def test_what_json_loads_refused_is_still_refused(text):
    assert refusal(text, V16) == ("FormatViolation", "message is not valid JSON")


def test_answers_are_the_text_json_dumps_wrote():
    payload = {"status": "Accepted", "data": "Grüße ✓", "n": 2.5, "list": [None, True]}

    assert rpc.call_result("m1", payload) == json.dumps([3, "m1", payload], separators=(",", ":"), ensure_ascii=False)


def test_an_answer_holding_a_non_finite_number_is_refused():
    with pytest.raises(ValueError):
        rpc.call_result("m1", {"n": float("nan")})
