"""Payment-card data in caller text: found and masked before anything else sees the text.

Callers read card numbers out loud ("four one one one, one one one one …"), type them on the
keypad or text them. `mask_card_data` runs where caller text enters the system (the voice,
SMS and test-line channels, and again at the engine's entry), so a card number never reaches
the transcript, the model, logs, SMS or HCP.

What counts as card data:

- any 13–19 digit sequence that passes the Luhn check, written as digits or spoken as
  English/Spanish digit words ("oh" for zero, "double five"), grouped by spaces, dashes,
  dots or commas;
- in an utterance with a card number, every other short digit group (the expiry date and
  the security code are usually said right after it);
- a security code or expiry said with its usual phrasing ("CVV 123", "security code is
  1 2 3", "expires 12/27"), even in an utterance of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CARD_MASK = "[card number removed]"
CODE_MASK = "[card detail removed]"

_DIGIT_WORDS = {
    "zero": "0",
    "oh": "0",
    "o": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "for": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "cero": "0",
    "uno": "1",
    "dos": "2",
    "tres": "3",
    "cuatro": "4",
    "cinco": "5",
    "seis": "6",
    "siete": "7",
    "ocho": "8",
    "nueve": "9",
}
_REPEAT = {"double": 2, "triple": 3, "doble": 2}
_TOKEN = re.compile(r"[A-Za-zÀ-ÿ]+|\d+|[^\sA-Za-zÀ-ÿ\d]+|\s+")
_JOINERS = re.compile(r"^(?:\s+|[\s\-–—.,/]+)$")
_CODE_PHRASE = re.compile(
    r"(?i)\b(?:cvv2?|cvc2?|csc|cid|security\s+code|card\s+code|code\s+on\s+the\s+back|"
    r"three[\s-]digit\s+code|c[oó]digo\s+de\s+seguridad|expir\w*|exp|valid\s+(?:thru|through)|"
    r"vence|vencimiento|caduca\w*)\b"
)
MIN_CARD, MAX_CARD = 13, 19
_NEAR_CODE_WORDS = 6


@dataclass(frozen=True)
class CardScan:
    """The text with card data masked, and whether any was found."""

    text: str
    card_number: bool
    card_detail: bool

    @property
    def found(self) -> bool:
        """Whether the text held a card number or a card's code or expiry."""
        return self.card_number or self.card_detail


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check every payment card number passes."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


@dataclass
class _Piece:
    text: str
    digits: str  # the digits this token stands for ("" for anything else)
    joiner: bool  # whitespace or punctuation that may sit inside a spoken number


def _pieces(text: str) -> list[_Piece]:
    pieces: list[_Piece] = []
    repeat = 1
    for raw in _TOKEN.findall(text):
        word = raw.lower()
        if raw.isdigit():
            pieces.append(_Piece(raw, raw * repeat if len(raw) == 1 else raw, False))
            repeat = 1
        elif word in _DIGIT_WORDS:
            pieces.append(_Piece(raw, _DIGIT_WORDS[word] * repeat, False))
            repeat = 1
        elif word in _REPEAT:
            repeat = _REPEAT[word]
            pieces.append(_Piece(raw, "", True))
        else:
            pieces.append(_Piece(raw, "", bool(_JOINERS.match(raw))))
            if not raw.isspace():
                repeat = 1
    return pieces


def _runs(pieces: list[_Piece]) -> list[list[int]]:
    """Indexes of digit pieces, grouped into runs separated only by joiners."""
    runs: list[list[int]] = []
    current: list[int] = []
    for index, piece in enumerate(pieces):
        if piece.digits:
            current.append(index)
        elif not piece.joiner:
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _card_spans(pieces: list[_Piece], run: list[int]) -> list[tuple[int, int]]:
    """(first, last) piece indexes inside `run` that spell a Luhn-valid card number.

    Every window of whole pieces holding 13-19 digits is checked in O(1) with prefix sums
    (one per parity of the doubled positions), so long digit runs stay cheap.
    """
    digits = "".join(pieces[i].digits for i in run)
    starts, at = [], 0
    for i in run:
        starts.append(at)
        at += len(pieces[i].digits)
    ends = [*starts[1:], at]
    prefix = ([0], [0])  # prefix[p][k]: Luhn sum of digits[:k] doubling positions i % 2 == p
    for index, char in enumerate(digits):
        value = int(char)
        doubled = value * 2 - 9 if value > 4 else value * 2
        for parity in (0, 1):
            prefix[parity].append(prefix[parity][-1] + (doubled if index % 2 == parity else value))
    spans: list[tuple[int, int]] = []
    for a, start in enumerate(starts):
        for b in range(a, len(run)):
            length = ends[b] - start
            if length > MAX_CARD:
                break
            if length >= MIN_CARD:
                sums = prefix[(ends[b]) % 2]  # doubled: every second digit from the right
                if (sums[ends[b]] - sums[start]) % 10 == 0:
                    spans.append((run[a], run[b]))
    return spans


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching spans joined, so each card is masked once."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def _word_index(pieces: list[_Piece]) -> list[int]:
    """For each piece, how many non-joiner pieces came before it."""
    count, result = 0, []
    for piece in pieces:
        result.append(count)
        if not piece.joiner:
            count += 1
    return result


def mask_card_data(text: str) -> CardScan:
    """Mask card numbers (and codes/expiry near them) in caller text.

    Text a channel already masked still counts as holding card data, so the engine steers the
    caller to the pay link whichever layer masked it first.
    """
    scan = _mask(text)
    return CardScan(
        scan.text, scan.card_number or CARD_MASK in text, scan.card_detail or CODE_MASK in text
    )


def _mask(text: str) -> CardScan:
    if not text or not any(ch.isdigit() for ch in text) and not _has_digit_words(text):
        return CardScan(text, False, False)
    pieces = _pieces(text)
    runs = _runs(pieces)
    masked: dict[int, str] = {}  # first piece index -> mask; covered pieces map to ""
    for run in runs:
        for first, last in _merged(_card_spans(pieces, run)):
            masked.update(dict.fromkeys(range(first, last + 1), ""))
            masked[first] = CARD_MASK
    card = bool(masked)
    words = _word_index(pieces)
    code_at = [words[i] for i, p in enumerate(pieces) if _CODE_PHRASE.fullmatch(p.text)]
    code_at += _phrase_positions(text, pieces, words)
    detail = False
    for run in runs:
        if any(index in masked for index in run):
            continue
        near_code = any(0 <= words[run[0]] - at <= _NEAR_CODE_WORDS for at in code_at)
        digits = sum(len(pieces[i].digits) for i in run)
        if (card and digits <= 6) or (near_code and digits <= 8):
            for index in range(run[0], run[-1] + 1):
                masked.setdefault(index, "")
            masked[run[0]] = CODE_MASK
            detail = True
    if not masked:
        return CardScan(text, False, False)
    out = [masked.get(i, p.text) for i, p in enumerate(pieces)]
    return CardScan(re.sub(r"\s{2,}", " ", "".join(out)).strip(), card, detail)


def _has_digit_words(text: str) -> bool:
    return any(word in _DIGIT_WORDS for word in re.findall(r"[a-zà-ÿ]+", text.lower()))


def _phrase_positions(text: str, pieces: list[_Piece], words: list[int]) -> list[int]:
    """Word positions where a multi-word code/expiry phrase ends ("security code")."""
    positions: list[int] = []
    offsets, at = [], 0
    for piece in pieces:
        offsets.append(at)
        at += len(piece.text)
    for match in _CODE_PHRASE.finditer(text):
        end = match.end()
        for index, start in enumerate(offsets):
            if start >= end:
                positions.append(words[index])
                break
    return positions
