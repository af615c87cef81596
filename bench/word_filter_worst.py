"""The word filter's worst case: ``mask()`` on adversarial texts of the longest allowed size (a direct
message: 2,000 characters) against a list of 5,000 generated words plus the words that hold an
ambiguous letter (``i`` beside ``l``: ``1`` reads either), in milliseconds of CPU per call, p50 and p99.

    .venv/bin/python bench/word_filter_worst.py --words 5000 --rounds 200

No database: the matcher alone (wordfilter/matching.py). The texts are runs of every leet symbol
(each can be a letter or a plain symbol; ``1`` is ``i`` or ``l``), those runs broken by spaces and
letters, look-alikes, and an ordinary long message. ``--only NAME`` runs the inputs whose name
holds NAME (a slow matcher can be timed one input at a time).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.word_filter import MESSAGES, generated_words  # noqa: E402
from wordfilter.matching import LEET, Matcher, word_key  # noqa: E402

LONGEST = 2000  # chat.models.DM_MAX_LENGTH: the longest text a player sends
# Words with i beside l (each "1" of a text may be either: the attack of issue #65 used "lick"),
# and short words that many texts hold.
TRICKY = ["lick", "illicit", "kill", "hell", "heil", "ass", "shit", "lolli"]
# Words of i and l alone: a run of "1" may hold them anywhere (a match may start at every "1").
I_AND_L = ["lil", "ill", "iii", "lll"]


def fill(unit: str, tail: str = "x") -> str:
    """``unit`` repeated to the longest text, ending on ``tail`` (a letter: no whole word ends there)."""
    body = unit * ((LONGEST - len(tail)) // len(unit) + 1)
    return body[: LONGEST - len(tail)] + tail


def inputs() -> dict[str, str]:
    texts = {f"run of {symbol!r}": fill(symbol) for symbol in LEET}
    texts |= {
        "run of '1', no tail": "1" * LONGEST,
        "'1' and 'l' alternating": fill("1l"),
        "'1' and 'i' alternating": fill("1i"),
        "'l1i' repeated": fill("l1i"),
        "'1' and spaces": fill("1 "),
        "'1!' and spaces": fill("1! "),
        "'lil' and spaces": fill("lil "),
        "'a a ' (separators in a run)": fill("a a ", "ss"),
        "'a' then 'ss'": fill("a", "ss"),
        "'h3ll' repeated": fill("h3ll"),
        "cyrillic a": fill("\u0430"),
        "small capitals": fill("\u029f\u026a"),
        "long ordinary message": fill(MESSAGES["long ASCII (400 chars)"] + " ", "."),
    }
    return texts


def timings_ms(matcher: Matcher, text: str, rounds: int) -> list[float]:
    spent = []
    for _ in range(rounds):
        started = time.process_time()
        matcher.mask(text)
        spent.append((time.process_time() - started) * 1000)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--words", type=int, default=5000, help="generated words in the list")
    parser.add_argument("--rounds", type=int, default=200, help="calls per input")
    parser.add_argument("--only", default="", help="only the inputs whose name holds this")
    args = parser.parse_args()
    generated = generated_words(args.words)
    for extra in (TRICKY, TRICKY + I_AND_L):
        words = generated + extra
        started = time.process_time()
        matcher = Matcher(word_key(word) for word in words)
        print(f"\n{args.words} generated words + {', '.join(extra)}")
        print(f"compiling {len(words)} words: {time.process_time() - started:.2f} s CPU")
        print(f"{'input (' + str(LONGEST) + ' chars)':<32} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        for name, text in inputs().items():
            if args.only in name:
                spent = sorted(timings_ms(matcher, text, args.rounds))
                p99 = spent[min(len(spent) - 1, round(0.99 * (len(spent) - 1)))]
                print(f"{name:<32} {statistics.median(spent):>8.3f} {p99:>8.3f} {spent[-1]:>8.3f}", flush=True)


if __name__ == "__main__":
    main()
