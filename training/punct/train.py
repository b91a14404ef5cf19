"""Trains voxlog's punctuation and casing model and writes assets/punct-en/ (model.onnx, vocab.json).

    python3 training/punct/train.py            # fetch the corpora, train, export, evaluate

Reads lower-cased, unpunctuated words (numbers as words), as a recogniser writes them, and predicts
for each word the punctuation written after it and its case. Trained on the Brown corpus and two
centuries of State of the Union addresses; Moby-Dick is held out (never seen in training) and scored.
Runs on CPU with Debian's python3-torch; seeded and single-configuration, so a rerun writes the same
weights on the same torch build.
"""

import argparse
import json
import random
import time
from pathlib import Path

import torch
from torch import nn

import corpora
from corpora import CASES, PUNCT

HERE = Path(__file__).resolve().parent
OUT = HERE.parent.parent / "assets" / "punct-en"
CACHE = HERE / ".cache"

VOCAB = 16000
SUFFIX_BUCKETS = 2048
WIDTH = 256
DILATIONS = (1, 2, 4, 8)
WINDOW = 48
BATCH = 64
EPOCHS = 6
HELD_OUT_SAMPLE = 40_000
SEED = 1
# Mark biases are searched from -2 to +1 in steps of 0.25 (see tune_bias).
MAX_BIAS_STEPS = 4


def fnv1a(text: str) -> int:
    """32-bit FNV-1a of the UTF-8 bytes (src/format/punctuator.ts computes the same)."""
    h = 0x811C9DC5
    for b in text.encode():
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def suffix_id(word: str) -> int:
    return 1 + fnv1a(word[-3:]) % SUFFIX_BUCKETS


class Punctuator(nn.Module):
    """Word and suffix embeddings, then dilated 1-D convolutions with residuals: each word sees 17 words
    either side. A bidirectional GRU of the same size trained 30 times slower on CPU and is not needed."""

    def __init__(self) -> None:
        super().__init__()
        self.words = nn.Embedding(VOCAB, 64, padding_idx=0)
        self.suffixes = nn.Embedding(SUFFIX_BUCKETS + 1, 16, padding_idx=0)
        self.inp = nn.Conv1d(80, WIDTH, 5, padding=2)
        self.blocks = nn.ModuleList(nn.Conv1d(WIDTH, WIDTH, 3, padding=d, dilation=d) for d in DILATIONS)
        self.drop = nn.Dropout(0.1)
        self.punct = nn.Linear(WIDTH, len(PUNCT))
        self.case = nn.Linear(WIDTH, len(CASES))

    def forward(self, words: torch.Tensor, suffixes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = torch.cat([self.words(words), self.suffixes(suffixes)], dim=-1).transpose(1, 2)
        h = torch.relu(self.inp(h))
        for block in self.blocks:
            h = h + torch.relu(block(self.drop(h)))
        h = h.transpose(1, 2)
        return self.punct(h), self.case(h)


def encode(ws: list[tuple[str, str, str]], index: dict[str, int]) -> torch.Tensor:
    """Rows of (word id, suffix id, punct class, case class)."""
    return torch.tensor([[index.get(w, 1), suffix_id(w), PUNCT.index(p), CASES.index(c)] for w, p, c in ws], dtype=torch.long)


def windows(streams: list[torch.Tensor], rng: random.Random) -> torch.Tensor:
    """Every stream cut into WINDOW-word pieces from a random offset, so pieces start and end anywhere in a sentence."""
    out = []
    for s in streams:
        start = rng.randrange(WINDOW)
        for i in range(start, len(s) - WINDOW + 1, WINDOW):
            out.append(s[i : i + WINDOW])
    rng.shuffle(out)
    return torch.stack(out)


def scores(pred_p: list[int], pred_c: list[int], gold: torch.Tensor) -> dict[str, float]:
    """Case accuracy and F1 of sentence breaks (. ?), commas and question marks."""
    gold_p, gold_c = gold[:, 2].tolist(), gold[:, 3].tolist()
    out = {"words": len(gold_p), "case_accuracy": sum(a == b for a, b in zip(pred_c, gold_c)) / len(gold_c)}
    breaks = {PUNCT.index("."), PUNCT.index("?")}
    for name, match in (("sentence_break", breaks), ("comma", {PUNCT.index(",")}), ("question", {PUNCT.index("?")})):
        tp = sum(a in match and b in match for a, b in zip(pred_p, gold_p))
        fp = sum(a in match and b not in match for a, b in zip(pred_p, gold_p))
        fn = sum(a not in match and b in match for a, b in zip(pred_p, gold_p))
        out[f"{name}_f1"] = 2 * tp / max(1, 2 * tp + fp + fn)
    return out


# How voxlog runs the model: on a live final, each piece of 32 words reads up to 16 words before it and
# none after (they are not yet said); on a file's transcript, also up to 16 words after it.
SEGMENT, CONTEXT = 32, 16
MODES = {"live": 0, "file": CONTEXT}


@torch.no_grad()
def logits(model: Punctuator, stream: torch.Tensor, ahead: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The model's outputs for each piece of SEGMENT words with up to CONTEXT words before it and `ahead`
    after it, exactly as voxlog runs it (pieces of the same length go through together)."""
    model.eval()
    spans = []
    for i in range(0, len(stream), SEGMENT):
        lo, n = max(0, i - CONTEXT), min(SEGMENT, len(stream) - i)
        spans.append((lo, min(len(stream), i + SEGMENT + ahead), i - lo, n))
    ps: list[torch.Tensor] = [torch.empty(0)] * len(spans)
    cs: list[torch.Tensor] = [torch.empty(0)] * len(spans)
    by_length: dict[int, list[int]] = {}
    for k, (lo, hi, _, _) in enumerate(spans):
        by_length.setdefault(hi - lo, []).append(k)
    for ks in by_length.values():
        for b in range(0, len(ks), 256):
            batch = ks[b : b + 256]
            pieces = torch.stack([stream[spans[k][0] : spans[k][1]] for k in batch])
            p, c = model(pieces[:, :, 0], pieces[:, :, 1])
            for row, k in enumerate(batch):
                _, _, at, n = spans[k]
                ps[k], cs[k] = p[row, at : at + n], c[row, at : at + n]
    return torch.cat(ps), torch.cat(cs)


def evaluate(model: Punctuator, stream: torch.Tensor) -> dict[str, dict[str, float]]:
    out = {}
    for mode, ahead in MODES.items():
        p, c = logits(model, stream, ahead)
        out[mode] = {k: round(v, 4) for k, v in scores(p.argmax(-1).tolist(), c.argmax(-1).tolist(), stream).items()}
    return out


def tune_bias(model: Punctuator, stream: torch.Tensor) -> list[float]:
    """Adds to each mark's output the bias (in steps of 0.25, at most +1) that maximises its F1 on
    `stream` (the dev documents) run both ways, one mark at a time: a rare mark is otherwise under-predicted."""
    p = torch.cat([logits(model, stream, ahead)[0] for ahead in MODES.values()])
    gold = torch.cat([stream[:, 2]] * len(MODES))
    bias = torch.zeros(len(PUNCT))

    def f1(k: int, b: torch.Tensor) -> float:
        pred = (p + b).argmax(-1)
        tp = int(((pred == k) & (gold == k)).sum())
        return 2 * tp / max(1, int((pred == k).sum()) + int((gold == k).sum()))

    for k in range(1, len(PUNCT)):
        best, at = f1(k, bias), 0.0
        # At most +1: a larger push (2.25 for '?', 3 for ';' tuned freely) put marks where speech only
        # paused, on real recordings: "Ask? What you can do? For your country?" on JFK.
        for step in range(-8, MAX_BIAS_STEPS + 1):
            trial = bias.clone()
            trial[k] = step * 0.25
            if (score := f1(k, trial)) > best + 1e-9:
                best, at = score, step * 0.25
        bias[k] = at
    return bias.tolist()


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--epochs", type=int, default=EPOCHS)
    opts = args.parse_args()
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    rng = random.Random(SEED)

    t0 = time.time()
    train_docs = [d for name in ("brown", "sotu") for d in corpora.documents(name, CACHE)]
    held_out = [w for d in corpora.documents("moby", CACHE) for w in corpora.words(d)]
    docs = [corpora.words(d) for d in train_docs]
    dev_every = 20  # every 20th document checks training as it goes
    train = [d for i, d in enumerate(docs) if i % dev_every]
    dev = [w for i, d in enumerate(docs) if i % dev_every == 0 for w in d]
    counts: dict[str, int] = {}
    # How each word is written inside a sentence (not after a sentence end): names keep their capital there.
    inside: dict[str, dict[str, int]] = {}
    for d in train:
        for k, (w, _, c) in enumerate(d):
            counts[w] = counts.get(w, 0) + 1
            if k > 0 and d[k - 1][1] not in (".", "?"):
                inside.setdefault(w, {}).setdefault(c, 0)
                inside[w][c] += 1
    vocab = sorted(counts, key=lambda w: (-counts[w], w))[: VOCAB - 2]
    cased = {w: max(inside[w], key=lambda c: (inside[w][c], c)) for w in vocab if w in inside}
    cased = {w: c for w, c in cased.items() if c != "lower"}
    index = {w: i + 2 for i, w in enumerate(vocab)}
    streams = [encode(d, index) for d in train if len(d) > WINDOW]
    dev_t, held_t = encode(dev, index), encode(held_out, index)
    print(f"data: {sum(len(s) for s in streams)} training words in {len(streams)} documents, {len(dev_t)} dev, {len(held_t)} held out (Moby-Dick); {time.time() - t0:.0f} s", flush=True)

    model = Punctuator()
    optim = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(opts.epochs):
        model.train()
        data = windows(streams, rng)
        steps = len(data) // BATCH
        for g in optim.param_groups:
            g["lr"] = 2e-3 * (0.5**epoch)
        for step in range(steps):
            b = data[step * BATCH : (step + 1) * BATCH]
            p, c = model(b[:, :, 0], b[:, :, 1])
            loss = loss_fn(p.reshape(-1, len(PUNCT)), b[:, :, 2].reshape(-1)) + loss_fn(c.reshape(-1, len(CASES)), b[:, :, 3].reshape(-1))
            optim.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optim.step()
            if step % 200 == 0:
                print(f"epoch {epoch + 1}/{opts.epochs} step {step}/{steps} loss {loss.item():.3f} ({time.time() - t0:.0f} s)", flush=True)
        print(f"epoch {epoch + 1} dev: {json.dumps(evaluate(model, dev_t))}", flush=True)

    bias = tune_bias(model, dev_t)
    with torch.no_grad():
        model.punct.bias += torch.tensor(bias)
    print(f"mark biases {dict(zip(PUNCT, bias))}; dev: {json.dumps(evaluate(model, dev_t))}", flush=True)
    held = evaluate(model, held_t)
    print(f"held out (Moby-Dick): {json.dumps(held)}")
    # The first HELD_OUT_SAMPLE words, for `bun run bench` to score the shipped file as voxlog runs it.
    rows = [f"{w}\t{p}\t{c}" for w, p, c in held_out[:HELD_OUT_SAMPLE]]
    (HERE / "heldout-moby-dick.tsv").write_text("\n".join(rows) + "\n")
    OUT.mkdir(parents=True, exist_ok=True)
    model.eval()
    example = dev_t[None, :WINDOW]
    torch.onnx.export(
        model,
        (example[:, :, 0], example[:, :, 1]),
        str(OUT / "model.onnx"),
        input_names=["words", "suffixes"],
        output_names=["punct", "case"],
        dynamic_axes={"words": {0: "batch", 1: "time"}, "suffixes": {0: "batch", 1: "time"}, "punct": {0: "batch", 1: "time"}, "case": {0: "batch", 1: "time"}},
        opset_version=14,
    )
    meta = {
        "about": "voxlog punctuation and casing (training/punct/train.py)",
        "unknown": 1,
        "suffix_buckets": SUFFIX_BUCKETS,
        "suffix_chars": 3,
        "punct": PUNCT,
        "cases": CASES,
        "trained_on": {k: f"{v[0]}@{v[1]} ({v[2]})" for k, v in corpora.CORPORA.items() if k != "moby"},
        "held_out": {"text": "Moby-Dick, {}@{}".format(*corpora.CORPORA["moby"][:2]), **held},
        "train_seconds": round(time.time() - t0),
        "vocab": vocab,
        # Words written with a capital (or in capitals) inside a sentence, where training saw them most often so.
        "cased": cased,
    }
    (OUT / "vocab.json").write_text(json.dumps(meta, indent=0) + "\n")
    print(f"wrote {OUT / 'model.onnx'} ({(OUT / 'model.onnx').stat().st_size} bytes) and vocab.json in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
