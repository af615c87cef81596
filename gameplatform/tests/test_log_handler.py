"""The console handler: every line written, in order, by a thread of its own; the caller
never waits for the stream; a stream that cannot keep up costs bounded memory, and says so."""

import io
import logging
import threading
import time

from gameplatform.core.logs import BackgroundStreamHandler


class StalledStream(io.StringIO):
    """A stream whose writes wait until ``release`` is set (a full pipe, a stuck terminal);
    ``writing`` is set once a write is waiting."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.writing = threading.Event()

    def write(self, text: str) -> int:
        self.writing.set()
        self.release.wait(10)
        return super().write(text)


def logger_with(handler: logging.Handler, name: str) -> logging.Logger:
    logger = logging.getLogger(f"gameplatform.tests.{name}")
    logger.handlers, logger.propagate, logger.level = [handler], False, logging.DEBUG
    return logger


def written_soon(stream: io.StringIO, text: str, within: float = 2.0) -> str:
    """What the stream holds once ``text`` is in it (or ``within`` seconds have passed)."""
    deadline = time.monotonic() + within
    while text not in stream.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    return stream.getvalue()


def test_every_line_is_written_once_in_order():
    stream = io.StringIO()
    handler = BackgroundStreamHandler(stream, interval=0.01)
    logger = logger_with(handler, "order")
    for n in range(2_000):
        logger.info("line %s", n)
    handler.close()
    assert stream.getvalue().splitlines() == [f"line {n}" for n in range(2_000)]


def test_lines_reach_the_stream_without_a_flush_by_the_caller():
    stream = io.StringIO()
    handler = BackgroundStreamHandler(stream, interval=0.05)
    logger = logger_with(handler, "soon")
    try:
        logger.info("quiet line")
        assert written_soon(stream, "quiet line") == "quiet line\n"
    finally:
        handler.close()


def test_a_warning_wakes_the_writer_at_once():
    stream = io.StringIO()
    handler = BackgroundStreamHandler(stream, interval=60)  # no periodic write during the test
    logger = logger_with(handler, "warning")
    try:
        logger.info("before")
        logger.warning("something is wrong")
        assert written_soon(stream, "wrong") == "before\nsomething is wrong\n"
    finally:
        handler.close()


def test_a_stalled_stream_never_blocks_the_caller_and_drops_are_counted():
    stream = StalledStream()
    handler = BackgroundStreamHandler(stream, interval=0.01, limit=100)
    logger = logger_with(handler, "stalled")
    logger.warning("first")
    assert stream.writing.wait(5), "the writer never took the first line"  # it blocks in write now
    began = time.perf_counter()
    for n in range(1_000):
        logger.info("line %s", n)
    assert time.perf_counter() - began < 1.0  # 1,000 lines never waited for the stream
    stream.release.set()
    handler.close()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "first"
    assert lines[1:101] == [f"line {n}" for n in range(100)]  # the first `limit` lines kept
    assert lines[101:] == ["900 log lines dropped: the log stream did not keep up"]


def test_reconfiguring_logging_closes_the_handler_without_waiting():
    """``logging.shutdown`` (dictConfig replacing handlers, the process exiting) holds the
    handler's lock while it closes it; the writer thread must not need that lock."""
    stream = io.StringIO()
    handler = BackgroundStreamHandler(stream, interval=0.01)
    logger = logger_with(handler, "shutdown")
    logger.info("last words")
    began = time.perf_counter()
    logging.shutdown([lambda: handler])  # what logging.config does with the old handlers
    assert time.perf_counter() - began < 1.0
    assert stream.getvalue() == "last words\n"
