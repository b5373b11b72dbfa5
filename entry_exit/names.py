"""Names normalised for matching: the ICAO Doc 9303 (Part 3, section 6) way.

A name is kept as received; its normalised form is what look-ups and matching compare:

* upper case, Latin letters A–Z and single spaces only;
* letters with diacritics lose them (É → E, Ñ → N, Ç → C, Ł → L), except where Doc 9303
  recommends a transliteration of its own: Ä → AE, Å → AA, Æ → AE, Ö → OE, Ø → OE,
  Œ → OE, Ü → UE, ß → SS, Þ → TH, Ð → D, Ĳ → IJ;
* ligatures and compatibility forms are unfolded first (ﬁ → FI, full-width letters);
* Cyrillic is transliterated with Doc 9303's table (Ж → ZH, Х → KH, Ц → TS, Щ → SHCH,
  Ю → IU, Я → IA, Ь omitted …);
* apostrophes and full stops are omitted (D'ARTAGNAN → DARTAGNAN, ST. JOHN → ST JOHN),
  hyphens and commas separate names (MARIE-ÉLISE → MARIE ELISE), as the MRZ turns them
  into a filler.

Anything else — a digit, a symbol, the MRZ filler ``<``, a script the table does not cover
(Arabic, Chinese, Greek …) — is not guessed at: ``name_normalise`` raises ``NameRefused``
and the row is refused with that reason.
"""

import unicodedata

# Doc 9303's own transliterations of Latin letters (upper case; input is upper-cased
# first). Every other accented Latin letter loses its marks.
LATIN = {
    "Ä": "AE",
    "Å": "AA",
    "Æ": "AE",
    "Ö": "OE",
    "Ø": "OE",
    "Œ": "OE",
    "Ü": "UE",
    "ẞ": "SS",
    "Þ": "TH",
    "Ð": "D",
    "Đ": "D",
    "Ħ": "H",
    "Ł": "L",
    "Ŀ": "L",
    "Ŋ": "N",
    "Ŧ": "T",
    "ĸ": "K",
    "Ĳ": "IJ",
}

# Doc 9303's Cyrillic table (Russian, with the letters of Belarusian, Ukrainian, Serbian
# and Macedonian it lists), first recommended transliteration.
CYRILLIC = {
    "А": "A",
    "Б": "B",
    "В": "V",
    "Г": "G",
    "Ґ": "G",
    "Д": "D",
    "Ђ": "D",
    "Ѓ": "G",
    "Е": "E",
    "Ё": "E",
    "Є": "IE",
    "Ж": "ZH",
    "З": "Z",
    "Ѕ": "DZ",
    "И": "I",
    "І": "I",
    "Ї": "I",
    "Й": "I",
    "Ј": "J",
    "К": "K",
    "Ќ": "K",
    "Л": "L",
    "Љ": "LJ",
    "М": "M",
    "Н": "N",
    "Њ": "NJ",
    "О": "O",
    "П": "P",
    "Р": "R",
    "С": "S",
    "Т": "T",
    "Ћ": "C",
    "У": "U",
    "Ў": "U",
    "Ф": "F",
    "Х": "KH",
    "Ц": "TS",
    "Ч": "CH",
    "Џ": "DZ",
    "Ш": "SH",
    "Щ": "SHCH",
    "Ъ": "IE",
    "Ы": "Y",
    "Ь": "",
    "Э": "E",
    "Ю": "IU",
    "Я": "IA",
}

TABLE = {**LATIN, **CYRILLIC}

# Omitted: apostrophes (and the marks that stand for one), full stops, the middle dot
# of the Catalan "l·l".
OMITTED = frozenset("'’‘ʼ`´.·")
# Separate two names: spaces, hyphens and dashes, commas.
SEPARATORS = frozenset(" -‐‑‒–—,")

NAME_MAX_LENGTH = 200


class NameRefused(ValueError):
    """``code``: ``name_character`` (something no rule turns into A–Z) or ``name_empty``
    (nothing left: no letter at all) or ``name_too_long`` (past NAME_MAX_LENGTH once
    transliterated)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _letter(char: str) -> str:
    if "A" <= char <= "Z":
        return char
    if char in TABLE:
        return TABLE[char]
    # A letter with marks: its base letter's, if the rest are combining marks.
    base, *marks = list(unicodedata.normalize("NFD", char))
    if marks and all(unicodedata.combining(mark) for mark in marks):
        if "A" <= base <= "Z":
            return base
        if base in TABLE:
            return TABLE[base]
    raise NameRefused("name_character")


def name_normalise(value: str) -> str:
    """The ICAO 9303 form of a name for matching; raises ``NameRefused``."""
    # NFKC unfolds ligatures and compatibility forms and composes "A" + U+0308 into "Ä",
    # so both spellings reach the table; upper() turns ß into SS.
    text = unicodedata.normalize("NFKC", value).upper()
    words: list[str] = []
    current: list[str] = []
    for char in text:
        if char in SEPARATORS:
            words.append("".join(current))
            current = []
        elif char not in OMITTED:
            current.append(_letter(char))
    words.append("".join(current))
    normalised = " ".join(word for word in words if word)
    if not normalised:
        raise NameRefused("name_empty")
    if len(normalised) > NAME_MAX_LENGTH:
        raise NameRefused("name_too_long")
    return normalised
