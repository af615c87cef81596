"""The word filter's cost per message: ``mask()`` with a list of N generated words against an
empty list, on short and long messages, in CPU microseconds (process time, best of 5 rounds).

    .venv/bin/python bench/word_filter.py --words 5000

No database: the matcher alone (wordfilter/matching.py), as each server process holds it. The
fan-out figure (server CPU per delivery in a lobby, with and without the list) comes from
bench/lobby_chat.py with ``--words`` and ``--pids`` (docs/player-safety.md, "Word filter").
"""

import argparse
import random
import string
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wordfilter.matching import Matcher, word_key  # noqa: E402

MESSAGES = {
    "short ASCII (40 chars)": "gg wp, anyone up for another round later",
    "short with a listed word": "gg wp, anyone up for another {word} later",
    "short non-ASCII": "très bien joué 🎉, on refait une partie ?",
    "long ASCII (400 chars)": "well played everyone, that last round was close and I think we should "
    "try the other map next time because the spawn points there are fairer for the team that starts "
    "on the left side; also remember to check the settings before we begin, last time the timer was "
    "set to five minutes instead of ten and nobody noticed until the end. see you all tomorrow, same "
    "time, same lobby, bring snacks!",
}


def generated_words(count: int, seed: int = 7) -> list[str]:
    """``count`` distinct made-up words of 4 to 9 letters (the same ones for the same seed)."""
    rng = random.Random(seed)
    words: set[str] = set()
    while len(words) < count:
        words.add("".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 9))))
    return sorted(words)


def per_message_us(matcher: Matcher, text: str, rounds: int = 5, repeat: int = 2000) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(repeat):
            matcher.mask(text)
        best = min(best, time.process_time() - started)
    return best / repeat * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--words", type=int, default=5000, help="words in the list (generated)")
    args = parser.parse_args()
    words = generated_words(args.words)
    started = time.process_time()
    listed = Matcher(word_key(word) for word in words)
    print(f"compiling {args.words} words: {time.process_time() - started:.2f} s CPU")
    empty = Matcher()
    print(f"{'message':<28} {'no list µs':>11} {f'{args.words} words µs':>15} {'more µs':>8}")
    for name, text in MESSAGES.items():
        text = text.format(word=words[len(words) // 2])
        assert listed.mask(text) != text or "listed" not in name
        none, full = per_message_us(empty, text), per_message_us(listed, text)
        print(f"{name:<28} {none:>11.2f} {full:>15.2f} {full - none:>8.2f}")


if __name__ == "__main__":
    main()
