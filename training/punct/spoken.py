"""How written forms are spoken, so training input looks like what the recogniser outputs:
numbers as words ("1790" -> "seventeen ninety", "28.8" -> "twenty eight point eight"), and the
abbreviations a reader expands ("Mr." -> "mister"). voxlog's inverse text normalisation
(src/format/numerals.ts) turns the spoken forms back into written ones after the model has run.
"""

import re

ABBREVIATIONS = {
    "mr": "mister",
    "mrs": "missus",
    "messrs": "messieurs",
    "dr": "doctor",
    "st": "saint",
    "jr": "junior",
    "sr": "senior",
    "gen": "general",
    "gov": "governor",
    "sen": "senator",
    "rep": "representative",
    "rev": "reverend",
    "prof": "professor",
    "capt": "captain",
    "col": "colonel",
    "lt": "lieutenant",
    "sgt": "sergeant",
    "mt": "mount",
    "ft": "feet",
    "vs": "versus",
    "etc": "et cetera",
}

ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
SCALES = [(10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand")]
ORDINAL = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}


def below_thousand(n: int) -> list[str]:
    out = []
    if n >= 100:
        out += [ONES[n // 100], "hundred"]
        n %= 100
    if n >= 20:
        out.append(TENS[n // 10])
        n %= 10
        if n:
            out.append(ONES[n])
    elif n or not out:
        out.append(ONES[n])
    return out


def cardinal(n: int) -> list[str]:
    if n == 0:
        return ["zero"]
    out = []
    for value, name in SCALES:
        if n >= value:
            out += below_thousand(n // value) + [name]
            n %= value
    if n:
        out += below_thousand(n)
    return out


def year(n: int) -> list[str]:
    """1790 -> seventeen ninety, 1900 -> nineteen hundred, 2005 -> two thousand five, 2021 -> twenty twenty one."""
    hi, lo = divmod(n, 100)
    if 2000 <= n <= 2009:
        return cardinal(n)
    if lo == 0:
        return below_thousand(hi) + ["hundred"]
    return below_thousand(hi) + (["oh", ONES[lo]] if lo < 10 else below_thousand(lo))


def ordinal(n: int) -> list[str]:
    words = cardinal(n)
    last = words[-1]
    words[-1] = ORDINAL.get(last) or (last[:-1] + "ieth" if last.endswith("y") else last + "th")
    return words


def number_words(token: str) -> str | None:
    """The spoken form of a written number, or None if the token is not one."""
    m = re.fullmatch(r"(\$?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(%|st|nd|rd|th|s|'s)?", token)
    if not m:
        return None
    dollar, whole, frac, suffix = m.groups()
    digits = whole.replace(",", "")
    n = int(digits)
    if suffix in ("st", "nd", "rd", "th") and frac is None:
        return " ".join(ordinal(n))
    if len(digits) == 4 and "," not in whole and 1100 <= n <= 2099 and frac is None and not dollar and suffix in (None, "s", "'s"):
        words = year(n)
    elif len(digits) > 1 and digits.startswith("0"):
        words = [ONES[int(d)] for d in digits]
    else:
        words = cardinal(n)
    if dollar and frac is not None and len(frac) == 2:
        cents = int(frac)
        return " ".join(words + ["dollar" if n == 1 else "dollars"] + (["and"] + cardinal(cents) + ["cent" if cents == 1 else "cents"] if cents else []))
    if frac is not None:
        words += ["point"] + [ONES[int(d)] for d in frac]
    if suffix in ("s", "'s"):
        words[-1] = words[-1][:-1] + "ies" if words[-1].endswith("y") else words[-1] + "s"
    if suffix == "%":
        words.append("percent")
    if dollar:
        words.append("dollar" if n == 1 and frac is None else "dollars")
    return " ".join(words)
