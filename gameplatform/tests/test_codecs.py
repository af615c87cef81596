"""The codecs at the edge (``gameplatform.sockets.codec``): one per subprotocol, chosen as a socket connects;
a MessagePack frame is read straight to a value and answered exactly as the same frame in JSON."""

import json

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gameplatform.core.errors import ApplicationError
from gameplatform.sockets import codec


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [
        ([], codec.JSON),
        (["v2.something"], codec.JSON),
        (["gameplatform.msgpack"], codec.MSGPACK),
        (["v2.something", "gameplatform.compact", "gameplatform.msgpack"], codec.COMPACT),
    ],
)
def test_a_socket_gets_the_codec_of_the_first_of_our_subprotocols_it_offered(offered, chosen):
    assert codec.for_scope({"subprotocols": offered}) is chosen


def answer(read) -> tuple:
    """What a socket makes of a frame: its value and refusal, or the error it is answered with."""
    try:
        value, refusal = read()
    except ApplicationError as exc:
        return ("error", exc.code, exc.extra)
    return (value, refusal and (refusal.code, refusal.extra))


frame_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(blacklist_categories=("Cs",)) | st.just("\x00"), max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(alphabet="ab\x00", max_size=2), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(frame_values)
def test_a_msgpack_frame_is_answered_as_the_same_frame_in_json_text(value):
    as_json = answer(lambda: codec.JSON.decode(json.dumps(value, ensure_ascii=False), None))
    as_msgpack = answer(lambda: codec.MSGPACK.decode(None, msgpack.packb(value)))
    assert as_msgpack == as_json


@pytest.mark.parametrize("depth", [32, 33, 500])
def test_a_msgpack_frame_nested_past_the_limit_is_invalid_as_json_text_is(depth):
    value = {"type": "ping", "x": 0}
    for _ in range(depth - 1):
        value = {"type": "ping", "x": value}
    want = answer(lambda: codec.JSON.decode(json.dumps(value), None))
    assert answer(lambda: codec.MSGPACK.decode(None, msgpack.packb(value))) == want
    assert (want[0] == "error") == (depth > 32)


@pytest.mark.parametrize(
    "data",
    [
        b"\xc1",
        msgpack.packb({"a": b"\x00"}),
        msgpack.packb({"a": msgpack.ExtType(3, b"x")}),
        msgpack.packb({"a": float("inf")}),
        msgpack.packb({b"k": 1}),
    ],
)
def test_what_json_cannot_carry_is_bad_json_on_a_msgpack_socket(data):
    with pytest.raises(ApplicationError) as refused:
        codec.COMPACT.decode(None, data)
    assert refused.value.code == "bad_json"


def test_a_json_socket_refuses_binary_frames_and_a_msgpack_socket_reads_json_text_too():
    with pytest.raises(ApplicationError) as refused:
        codec.JSON.decode(None, msgpack.packb({"type": "ping"}))
    assert refused.value.code == "bad_json"
    assert codec.MSGPACK.decode('{"type":"ping"}', None) == ({"type": "ping"}, None)
