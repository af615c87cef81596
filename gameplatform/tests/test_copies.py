"""A process's copy of what the database holds (``gameplatform.core.copies.ProcessCopy``): a reader that
comes while another thread is looking at a newer version waits for that look, and reads the new
copy, not the one being replaced (every client told of a live-operations change refetches at once)."""

import threading

from gameplatform.core.copies import ProcessCopy


def test_a_reader_due_for_a_look_while_another_thread_rebuilds_reads_the_new_copy():
    now, version = [0.0], [1]
    building, release = threading.Event(), threading.Event()

    def build():
        if version[0] == 2:
            building.set()
            release.wait(5)
        return f"copy {version[0]}"

    copy = ProcessCopy(build, empty="", version=lambda: version[0], every=1.0, clock=lambda: now[0])
    assert copy.get() == "copy 1"
    version[0], now[0] = 2, 1.5  # a change, and the copy is due for a look
    first = []
    looking = threading.Thread(target=lambda: first.append(copy.get()))
    looking.start()
    assert building.wait(5)
    second = []
    reader = threading.Thread(target=lambda: second.append(copy.get()))
    reader.start()
    reader.join(0.2)
    assert reader.is_alive()  # waiting for the look, not answering with copy 1
    release.set()
    looking.join(5)
    reader.join(5)
    assert first == second == ["copy 2"]


def test_a_fresh_copy_is_read_without_a_look():
    looks = []
    copy = ProcessCopy(lambda: "rows", empty="", version=lambda: looks.append(1) or 1, clock=lambda: 0.0)
    assert [copy.get() for _ in range(5)] == ["rows"] * 5
    assert len(looks) == 1
