"""The matcher: a list of words found in a text in time linear in the text, for the whole list.

A text is first normalised character by character, one original character giving zero, one or
more normalised ones (``normalise``), with the original position of each kept:

- ASCII letters are lower-cased; the leet symbols (``LEET``: ``0 1 3 4 5 7 8 @ $ !``) stay as
  they are, since each can be a letter or a plain symbol ("hello!" ends on a symbol);
- any other character goes through NFKC (fullwidth and mathematical letters become ASCII ones),
  then loses its accents (NFKD without the combining marks: "é" is "e"), then, if it still is
  not ASCII, the letter its Unicode name spells (small capitals "ᴀ", regional indicators "🇦",
  negative squared and circled letters "🅰") or its Unicode TR39 look-alike among the ASCII
  letters (Cyrillic "а" is "a", Greek "ο" is "o"), read from the ``confusable_homoglyphs`` table;
- combining marks and invisible format characters (zero-width space, soft hyphen, the bidi
  controls) vanish;
- the Hangul fillers, blank letters that show as a space, are separators;
- other letters (scripts with no Latin look-alike) become ``OTHER_LETTER``: part of a word;
- apostrophes and the digits that stand for no letter become ``NON_SEPARATOR``: they end a
  word ("ass's" holds "ass") but may not sit inside a match ("he'll" is not "hell");
- everything else (spaces, punctuation, symbols) becomes ``SEPARATOR``, a space.

A list word matches a stretch of that text when the stretch, its separators left out, reads as
the word with each letter written one or more times ("heeello"; a letter written twice in the
list word needs two: "as" is not "ass"), each character being the letter or one of its leet
symbols ("1" is either "i" or "l"). A match is a whole word: no letter right before or after it
("class", "assassin" and "passage" do not hold "ass"), and it holds at least one letter (digits
and symbols alone are a number, a score or a time: "455" is not "ass").

How it is found without backtracking, in two steps:

1. **Candidates, by an Aho–Corasick automaton** (``pyahocorasick``) over the text's *outline*:
   each character replaced by its class (``CLASSES``: a letter's own, a leet symbol's letter, and
   one class ``I`` for ``i``, ``l``, ``1`` and ``!``, so "1" needs no choice), the separators
   left out, and each run of one class written once ("h3ll0" and "heeelllo" are both "heIo").
   A list word's outline is built the same way; the automaton finds every occurrence of every
   listed outline in one pass over the text's, whatever the length of the list.
2. **Each candidate checked exactly**, when a match may start in its first run and end in its
   last (most occurrences of an outline are inside a longer word), by a small automaton of the
   words of that outline (one state per letter, a self-loop on the last letter of each run), run
   forward and backward over the candidate's characters only, its sets of states as bit masks:
   this is where "1" is either letter, and where the whole-word and one-letter rules and the
   exact characters of each match (for the mask) are decided. Occurrences that overlap or touch
   are read once, and the middle of a long repetition of one character ("1111...", "a a a ...")
   as one character: past as many characters as a word has letters, its states no longer change.

Neither step goes back over the text: a text of n characters costs one pass of the automaton
and a few integer operations per character of each candidate, whatever the list and whatever the
text (a run of 2,000 "1" is one outline character). ``bench/word_filter_worst.py`` times the
adversarial texts; ``test_the_matcher_masks_what_the_rule_read_literally_masks`` checks the two
steps against the rule above read literally.
"""

import functools
import itertools
import operator
import re
import unicodedata
from collections.abc import Iterable, Iterator

import ahocorasick
from confusable_homoglyphs import confusables

SEPARATOR = " "
NON_SEPARATOR = "#"
OTHER_LETTER = "\x01"
# Our own small table: the digits and symbols that stand for letters.
LEET = {"0": "o", "1": "il", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s", "!": "i"}
APOSTROPHES = "'`\u2018\u2019\u02bc"
WORD_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz" + OTHER_LETTER)
MIN_WORD, MAX_WORD = 2, 50
# Blank letters that show as a space (Hangul fillers): separators, not letters of a word.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")
# Characters whose Unicode name spells a Latin letter that NFKC and TR39 leave out.
SPELLED_LETTER = re.compile(
    r"(?:LATIN LETTER SMALL CAPITAL|REGIONAL INDICATOR SYMBOL LETTER"
    r"|NEGATIVE (?:SQUARED|CIRCLED) LATIN CAPITAL LETTER) ([A-Z])"
)


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
    if char in BLANK_LETTERS:
        return SEPARATOR
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if base and base.isascii():
        return base.translate(ASCII_TABLE)
    spelled = SPELLED_LETTER.fullmatch(unicodedata.name(char, ""))
    if spelled:
        return spelled[1].lower()
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


# The outline's classes: a letter is its own, a leet symbol its letter's; "i", "l" and the
# symbols that may be either ("1") or one of them ("!") are one class, "I", so that reading a
# text's outline never has to choose. Separators vanish; what ends a word without being a
# separator (NON_SEPARATOR, OTHER_LETTER) is a break no outline holds.
BREAK = "|"
CLASSES = {chr(c): chr(c) for c in range(ord("a"), ord("z") + 1)} | {
    symbol: letters[0] for symbol, letters in LEET.items()
}
CLASSES |= {symbol: "I" for symbol, letters in LEET.items() if set(letters) & {"i", "l"}} | {"i": "I", "l": "I"}
CLASS_TABLE = str.maketrans(CLASSES | {SEPARATOR: SEPARATOR, NON_SEPARATOR: BREAK, OTHER_LETTER: BREAK})
RUN = re.compile(r"(.)\1+", re.DOTALL)
# A normalised character's kind: "0" a letter, "1" anything else.
KIND_TABLE = str.maketrans({c: "0" if c in WORD_LETTERS else "1" for c in [*CLASSES, " ", "#", OTHER_LETTER]})


class _Words:
    """The list words of one outline as one automaton, each word's states side by side in one
    integer: bit q is "read the word up to its letter q". A character that may stand for the
    letter moves a state on to the next letter of its word, or keeps it on the last letter of a
    run (repeated letters): from states S, ``(((S & moving) << 1) | (S & loops)) & compatible[c]``,
    written out in the loops below (they are the check's hot path)."""

    __slots__ = ("accepts", "compatible", "loops", "moving", "size", "starts")

    def __init__(self, keys: list[str]) -> None:
        self.size = max(len(key) for key in keys)
        self.starts = self.accepts = self.loops = 0
        self.compatible: dict[str, int] = {}  # per symbol, the states it may be read in
        offset = 0
        for key in keys:
            self.starts |= 1 << offset
            self.accepts |= 1 << (offset + len(key) - 1)
            for q, letter in enumerate(key):
                if q + 1 == len(key) or key[q + 1] != letter:
                    self.loops |= 1 << (offset + q)
                for symbol in SYMBOLS[letter]:
                    self.compatible[symbol] = self.compatible.get(symbol, 0) | 1 << (offset + q)
            offset += len(key)
        self.moving = ~self.accepts  # a word's last state moves on to no other word's first


# The symbols that may stand for each letter: the letter itself and its leet symbols.
SYMBOLS = {letter: letter + "".join(s for s, letters in LEET.items() if letter in letters) for letter in CLASSES}

# One character as the check reads it: its symbol, whether it is a letter, whether a match may
# start and end there, and the normalised positions it stands for (first, last).
Char = tuple[str, bool, bool, bool, int, int]


class _Text:
    """A normalised text as the check reads it: its characters other than separators (their
    positions in ``places``), and where each run of the outline begins among them. Built once
    per text, and only when the automaton found a candidate."""

    def __init__(self, folded: str) -> None:
        self.folded = folded
        # itertools.compress over flags: these lists are made in C, not a Python loop a character.
        self.places = list(itertools.compress(range(len(folded)), folded.replace(SEPARATOR, "\0").encode("latin-1")))
        packed = _packed(folded)
        self.run_starts = [*itertools.compress(range(len(packed)), map(operator.ne, packed, "\0" + packed))]
        self.run_starts.append(len(packed))
        # "1" where a match may start or end: no letter right before, or right after ("0": a letter).
        self.kinds = "1" + folded.translate(KIND_TABLE) + "1"

    def bounded(self, first_run: int, last_run: int) -> bool:
        """Whether a match may start in the first run and end in the last (most occurrences of an
        outline are inside a longer word: "class" holds the outline of "ass"). A character of a
        run may start one if what comes before the run's first is no letter, or if anything
        between the run's characters is no letter (a separator, a leet symbol); the same for ends."""
        runs, places, kinds = self.run_starts, self.places, self.kinds  # kinds[p + 1] is position p's
        first, last = places[runs[first_run]], places[runs[first_run + 1] - 1]
        if "1" not in kinds[first : last + 1]:
            return False
        first, last = places[runs[last_run]], places[runs[last_run + 1] - 1]
        return "1" in kinds[first + 2 : last + 3]

    def chars(self, first: int, last: int, keep: int) -> list[Char]:
        """The characters ``first`` to ``last`` (indices in ``places``), the middle of each long
        repetition of one character ("1111...", "a a a ...") read as one: ``keep`` characters
        into a repetition the check's states no longer change (each character either moves a
        state on or keeps it on a run's last letter, and a word has at most ``keep`` letters),
        so the middle stands for any length and a long repetition costs what a short one does."""
        chars: list[Char] = []
        done = self.places[first]
        for m in _repetition(keep).finditer(self.folded, done, self.places[last] + 1):
            chars += self._read(range(done, m.start()))
            places = range(m.start(), m.end(), 2 if self.folded[m.start() + 1] == SEPARATOR else 1)
            chars += self._read(places[: keep + 1])
            chars.append(self._read(places[keep + 1 : keep + 2])[0][:5] + (places[-keep - 2],))
            chars += self._read(places[-keep - 1 :])
            done = m.end()
        return chars + self._read(range(done, self.places[last] + 1))

    def _read(self, places: range) -> list[Char]:
        folded, last, letters = self.folded, len(self.folded) - 1, WORD_LETTERS
        return [
            (c, c in letters, p == 0 or folded[p - 1] not in letters, p == last or folded[p + 1] not in letters, p, p)
            for p in places
            if (c := folded[p]) != SEPARATOR
        ]


@functools.lru_cache(maxsize=MAX_WORD + 1)
def _repetition(keep: int) -> re.Pattern:
    """One character written more than ``2 * keep + 3`` times in a row, alone or one space apart."""
    return re.compile(rf"([^ ])\1{{{2 * keep + 3},}}|([^ ])(?: \2){{{2 * keep + 3},}}")


def _forward(words: _Words, chars: list[Char]) -> list[tuple[int, int]]:
    """The states each character can leave the automaton in, from some start: before the match's
    first letter and after it (two masks: a match needs a letter)."""
    states = []
    bare = lettered = 0
    starts, moving, loops, compatible = words.starts, words.moving, words.loops, words.compatible
    for symbol, letter, may_start, _, _, _ in chars:
        allowed = compatible.get(symbol, 0)
        start = starts if may_start else 0  # a match may begin with this character
        if letter:
            lettered |= bare
            bare, lettered = 0, (((lettered & moving) << 1) | (lettered & loops) | start) & allowed
        else:
            bare = (((bare & moving) << 1) | (bare & loops) | start) & allowed
            lettered = (((lettered & moving) << 1) | (lettered & loops)) & allowed
        states.append((bare, lettered))
    return states


def _accepted(words: _Words, chars: list[Char], ahead: list[tuple[int, int]]) -> bool:
    return any(lettered & words.accepts and char[3] for (_, lettered), char in zip(ahead, chars, strict=True))


def _spans(words: _Words, chars: list[Char], ahead: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """The spans (normalised positions, end excluded) of the matches among ``chars``, ``ahead``
    their forward states. Backward, the states from which some end is reached; a character in
    both is inside a match, and so is the gap to the next one when one step of a match joins
    them (two matches side by side stay two spans: the separator between them is in neither)."""
    behind = []  # after each character: the states an end is reached from (needing a letter, not)
    need = have = 0
    accepts, loops, compatible, middle = words.accepts, words.loops, words.compatible, ~words.starts
    after = None  # the next character's (allowed states, whether a letter): the step read backward
    for symbol, letter, _, may_end, _, _ in reversed(chars):
        if after is not None:
            into, kept = (have if after[1] else need) & after[0], have & after[0]
            need, have = ((into & middle) >> 1) | (into & loops), ((kept & middle) >> 1) | (kept & loops)
        if may_end:
            have |= accepts
        behind.append((need, have))
        after = (compatible.get(symbol, 0), letter)
    behind.reverse()
    opened = None
    before = (0, 0)
    moving = words.moving
    for i, ((bare, lettered), (need, have), (symbol, letter, *_)) in enumerate(zip(ahead, behind, chars, strict=True)):
        if opened is not None:  # joined to the character before by a step of a match?
            allowed = compatible.get(symbol, 0)
            from_bare = (((before[0] & moving) << 1) | (before[0] & loops)) & allowed
            from_lettered = (((before[1] & moving) << 1) | (before[1] & loops)) & allowed
            if not (from_lettered & have or from_bare & (have if letter else need)):
                yield chars[opened][4], chars[i - 1][5] + 1
                opened = None
        if bare & need or lettered & have:
            opened = i if opened is None else opened
        elif opened is not None:
            yield chars[opened][4], chars[i - 1][5] + 1
            opened = None
        before = (bare, lettered)
    if opened is not None:
        yield chars[opened][4], chars[-1][5] + 1


def _packed(folded: str) -> str:
    """A normalised text's classes, separators left out (one character per ``_Text.places``)."""
    return folded.translate(CLASS_TABLE).replace(SEPARATOR, "")


def outline(folded: str) -> str:
    """A normalised text's outline: its classes, no separators, each run of a class written once."""
    return RUN.sub(_first, _packed(folded))


def _first(run: re.Match) -> str:
    return run[1]  # a function, not r"\1": Python 3.11 expands a template in Python, slower


class Matcher:
    """A compiled list: ``mask`` and ``holds`` on any text, from any thread (it is immutable)."""

    def __init__(self, keys: Iterable[str] = ()) -> None:
        by_outline: dict[str, list[str]] = {}
        for key in sorted(set(keys)):
            by_outline.setdefault(outline(key), []).append(key)
        self.automaton = None
        if by_outline:
            self.automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
            for line, words in by_outline.items():
                self.automaton.add_word(line, (len(line), _Words(words)))
            self.automaton.make_automaton()

    def _checked(self, folded: str) -> Iterator[tuple[_Words, list[Char], list[tuple[int, int]]]]:
        """For each outline the text's holds, the characters its occurrences cover (every match of
        its words lies among them; occurrences that overlap or touch read once) and their states."""
        found: dict[_Words, list[tuple[int, int]]] = {}
        text = None
        for end, (length, words) in self.automaton.iter(outline(folded)):
            text = text or _Text(folded)
            if text.bounded(end - length + 1, end):
                found.setdefault(words, []).append((end - length + 1, end))
        for words, occurrences in found.items():
            for first_run, last_run in _merged(occurrences, touching=1):
                chars = text.chars(text.run_starts[first_run], text.run_starts[last_run + 1] - 1, words.size)
                yield words, chars, _forward(words, chars)

    def holds(self, text: str) -> bool:
        if self.automaton is None:
            return False
        return any(_accepted(*checked) for checked in self._checked(normalise(text)[0]))

    def mask(self, text: str) -> str:
        """``text`` with each match's original characters (separators inside it too) replaced
        by ``*``, one per character; the rest exactly as sent."""
        if self.automaton is None:
            return text
        folded, origin = normalise(text)
        spans = [span for checked in self._checked(folded) if _accepted(*checked) for span in _spans(*checked)]
        if not spans:
            return text
        out, done = [], 0
        for start, end in _merged(spans):
            if origin is not None:
                start, end = origin[start], _past_marks(text, origin[end - 1] + 1)
            out += [text[done:start], "*" * (end - start)]
            done = end
        out.append(text[done:])
        return "".join(out)


def _merged(spans: list[tuple[int, int]], touching: int = 0) -> Iterator[tuple[int, int]]:
    """The spans sorted, those that overlap made one (or that touch: ``touching`` apart)."""
    spans = sorted(spans)
    start, end = spans[0]
    for following_start, following_end in spans[1:]:
        if following_start > end + touching:
            yield start, end
            start = following_start
        end = max(end, following_end)
    yield start, end


def _past_marks(text: str, end: int) -> int:
    """Past the combining marks and invisible characters that follow a match's last letter."""
    while end < len(text) and not _fold(text[end]) and not text[end].isascii():
        end += 1
    return end
