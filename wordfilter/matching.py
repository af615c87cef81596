"""The matcher: a list of words compiled once into one regular expression over normalised text.

A text is first normalised character by character, one original character giving zero, one or
more normalised ones (``normalise``), with the original position of each kept:

- ASCII letters are lower-cased; the leet symbols (``LEET``: ``0 1 3 4 5 7 8 @ $ !``) stay as
  they are, since each can be a letter or a plain symbol ("hello!" ends on a symbol);
- any other character goes through NFKC (fullwidth and mathematical letters become ASCII ones),
  then loses its accents (NFKD without the combining marks: "é" is "e"), then, if it still is
  not ASCII, its Unicode TR39 look-alike among the ASCII letters (Cyrillic "а" is "a",
  Greek "ο" is "o"), read from the ``confusable_homoglyphs`` library's table;
- combining marks and invisible format characters (zero-width space, soft hyphen) vanish;
- other letters (scripts with no Latin look-alike) become ``OTHER_LETTER``: part of a word;
- apostrophes and the digits that stand for no letter become ``NON_SEPARATOR``: they end a
  word ("ass's" holds "ass") but may not sit inside a match ("he'll" is not "hell");
- everything else (spaces, punctuation, symbols) becomes ``SEPARATOR``, a space.

A list word compiles to a pattern over that text: each letter is a class with its leet symbols
(``e`` is ``[e3]``; ``1`` is in both ``i`` and ``l``'s classes, so "1" may be either), repeated
at will (``e+``: "heeello"), with any run of separators between letters ("h.e.l.l.o"), and a
letter written twice in the list word needs two in the text ("as" is not "ass"). A match is a
whole word: no letter right before or after it ("class", "assassin" and "passage" do not hold
"ass"), and it holds at least one letter (digits and symbols alone are a number, a score or a
time: "455" is not "ass"). The words share one pattern, built as a trie (common prefixes written once), so a text
costs one scan whatever the length of the list.
"""

import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator

from confusable_homoglyphs import confusables

SEPARATOR = " "
NON_SEPARATOR = "#"
OTHER_LETTER = "\x01"
# Our own small table: the digits and symbols that stand for letters.
LEET = {"0": "o", "1": "il", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s", "!": "i"}
APOSTROPHES = "'`\u2018\u2019\u02bc"
WORD_LETTERS = "a-z" + OTHER_LETTER
MIN_WORD, MAX_WORD = 2, 50
LETTERLESS = re.compile(r"[^a-z]*")


def _ascii_char(char: str) -> str:
    if char.isalpha():
        return char.lower()
    if char in LEET:
        return char
    if char.isdigit() or char in APOSTROPHES:
        return NON_SEPARATOR
    return SEPARATOR


# str.translate with a string of 128 characters: the ASCII fast path, one C loop.
ASCII_TABLE = "".join(_ascii_char(chr(code)) for code in range(128))


def _look_alike(char: str) -> str:
    """The ASCII letter TR39 lists ``char`` as confusable with (one step further if need be), or ""."""
    seen = {char}
    candidates = [char]
    for _ in range(2):
        following = []
        for candidate in candidates:
            found = confusables.is_confusable(candidate, greedy=True, preferred_aliases=[])
            for glyph in (h["c"] for h in found[0]["homoglyphs"]) if found else ():
                if len(glyph) == 1 and glyph.isascii() and glyph.isalpha():
                    return glyph.lower()
                if len(glyph) == 1 and glyph not in seen:
                    seen.add(glyph)
                    following.append(glyph)
        candidates = following
    return ""


def _unicode_char(char: str) -> str:
    category = unicodedata.category(char)
    if category[0] == "M" or category == "Cf":
        return ""
    if char in APOSTROPHES:
        return NON_SEPARATOR
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if base and base.isascii():
        return base.translate(ASCII_TABLE)
    if category[0] == "L" or category == "So":
        letter = _look_alike(char)
        if letter:
            return letter
    if category[0] == "L":
        return OTHER_LETTER
    return NON_SEPARATOR if category[0] == "N" else SEPARATOR


@functools.lru_cache(maxsize=65536)
def _fold(char: str) -> str:
    """What one non-ASCII character normalises to (cached: a chat uses few distinct characters)."""
    return "".join(
        c.translate(ASCII_TABLE) if c.isascii() else _unicode_char(c) for c in unicodedata.normalize("NFKC", char)
    )


def normalise(text: str) -> tuple[str, list[int] | None]:
    """The normalised text and, for each of its characters, the position of the original one
    it comes from (``None`` when it is the same position: ASCII text, the usual case)."""
    if text.isascii():
        return text.translate(ASCII_TABLE), None
    parts: list[str] = []
    origin: list[int] = []
    for position, char in enumerate(text):
        folded = char.translate(ASCII_TABLE) if char.isascii() else _fold(char)
        if folded:
            parts.append(folded)
            origin.extend([position] * len(folded))
    return "".join(parts), origin


def word_key(word: str) -> str:
    """A list word as the filter holds it: its letters, normalised ("H3LL0" is "hello", "f.u.c.k"
    is "fuck"; "1" reads "i"). "" when it is not one word of 2 to 50 Latin letters (or look-alikes)."""
    word = word.strip()
    if any(c.isspace() for c in word):
        return ""
    folded, _ = normalise(word)
    letters = "".join(LEET.get(c, c)[0] for c in folded if c != SEPARATOR)
    if not MIN_WORD <= len(letters) <= MAX_WORD or not letters.isascii() or not letters.isalpha():
        return ""
    return letters


def _symbols(letter: str) -> str:
    return letter + "".join(s for s, letters in LEET.items() if letter in letters)


def _runs(key: str) -> tuple[tuple[str, int], ...]:
    """ "hello" -> (h, 1), (e, 1), (l, 2), (o, 1)."""
    runs: list[tuple[str, int]] = []
    for letter in key:
        if runs and runs[-1][0] == letter:
            runs[-1] = (letter, runs[-1][1] + 1)
        else:
            runs.append((letter, 1))
    return tuple(runs)


def _run_pattern(letter: str, count: int, following: Iterable[str]) -> str:
    """``count`` or more of ``letter``, separators allowed between them. The tail is possessive
    (no backtracking on a long run) unless a letter that may come next shares a symbol with it
    ("1" for "i" then "l")."""
    one = "[" + re.escape(_symbols(letter)) + "]"
    more = f"(?: *{one})"
    shares = any(set(_symbols(letter)) & set(_symbols(nxt)) for nxt in following)
    return one + (f"{more}{{{count - 1}}}" if count > 1 else "") + more + ("*" if shares else "*+")


END = object()  # the trie's mark of a word's end
WORD_END = f"(?![{WORD_LETTERS}])"


def _trie(keys: Iterable[str]) -> dict:
    root: dict = {}
    for key in keys:
        node = root
        for run in _runs(key):
            node = node.setdefault(run, {})
        node[END] = True
    return root


def _node_pattern(node: dict) -> str:
    """The pattern of what may follow a trie node: its children's runs (after separators), or,
    if a word ends there, no letter. Longer words are tried first."""
    branches = []
    for run, child in node.items():
        if run is not END:
            branches.append(_run_pattern(*run, [r[0] for r in child if r is not END]) + _node_pattern(child))
    if not branches:
        return WORD_END
    following = " *" + _alternation(branches)
    return _alternation([following, WORD_END]) if END in node else following


def _alternation(branches: list[str]) -> str:
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


def compile_words(keys: Iterable[str]) -> re.Pattern | None:
    """One pattern for the list (keys from ``word_key``), or ``None`` for an empty list."""
    trie = _trie(sorted(set(keys)))
    if not trie:
        return None
    starts = [
        _run_pattern(*run, [r[0] for r in child if r is not END]) + _node_pattern(child) for run, child in trie.items()
    ]
    return re.compile(f"(?<![{WORD_LETTERS}])" + _alternation(starts))


class Matcher:
    """A compiled list: ``mask`` and ``holds`` on any text, from any thread (it is immutable)."""

    def __init__(self, keys: Iterable[str] = ()) -> None:
        self.pattern = compile_words(keys)

    def holds(self, text: str) -> bool:
        return self.pattern is not None and next(self._matches(normalise(text)[0]), None) is not None

    def _matches(self, folded: str) -> Iterator[re.Match]:
        """The pattern's matches that hold a letter: digits and symbols alone are a number
        ("1337", "7:35", a score), never a word."""
        return (m for m in self.pattern.finditer(folded) if not LETTERLESS.fullmatch(m.group()))

    def mask(self, text: str) -> str:
        """``text`` with each match's original characters (separators inside it too) replaced
        by ``*``, one per character; the rest exactly as sent."""
        if self.pattern is None:
            return text
        folded, origin = normalise(text)
        spans = [m.span() for m in self._matches(folded)]
        if not spans:
            return text
        out, done = [], 0
        for start, end in spans:
            if origin is not None:
                start, end = origin[start], _past_marks(text, origin[end - 1] + 1)
            out += [text[done:start], "*" * (end - start)]
            done = end
        out.append(text[done:])
        return "".join(out)


def _past_marks(text: str, end: int) -> int:
    """Past the combining marks and invisible characters that follow a match's last letter."""
    while end < len(text) and not _fold(text[end]) and not text[end].isascii():
        end += 1
    return end
