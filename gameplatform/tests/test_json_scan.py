"""The JSON nesting check costs time in proportion to the input, whatever the input."""

import time

import pytest

from gameplatform.core.parsers import loads, too_deep


def test_an_unterminated_string_full_of_escaped_quotes_is_scanned_in_linear_time():
    # 60 KB, under WS_MAX_FRAME_BYTES: a socket frame parsed on the event loop. Scanning it
    # took about 11 s when every escaped quote restarted the search for a closing one.
    text = "[]" * 33 + '"' + '\\"' * 30_000
    started = time.perf_counter()
    assert not too_deep(text)
    with pytest.raises(ValueError):  # not JSON: the caller answers 400 / bad_json
        loads(text)
    assert time.perf_counter() - started < 0.5


def test_brackets_inside_an_unterminated_string_are_not_counted():
    assert not too_deep('["' + "[" * 100)
    assert too_deep("[" * 40 + '"abc')
