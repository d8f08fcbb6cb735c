"""Rebuild the offline cue and source rankers from PolNeAR's training articles.

    python -m claimx.offline.train_pairing [--data ../shared/datasets/polnear/data/train] [--out PATH]

Tags each training article with the shipped tagger (as the extractor will), lists every
content run's cue candidates and, for the gold's cue, its source candidates
(:func:`claimx.offline.assemble.cue_candidates`, :func:`~claimx.offline.assemble.source_candidates`),
and labels them by the gold attribution the run overlaps most (at least 0.3, as the scorer
matches): a cue or source is right when it shares a character with the gold's, "nobody" when
the gold names no source. Two conditional logit models (a softmax over each run's
candidates) are fitted by AdaGrad with an L2 penalty, in plain Python, in a fixed order:
the same data gives the same file. Only this command reads the dataset.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import sys
import time
from collections import Counter
from pathlib import Path

from claimx.document import Document
from claimx.evaluate.datasets import load_dataset
from claimx.evaluate.sample import Sample
from claimx.evaluate.similarity import overlap_ratio
from claimx.offline.assemble import cue_candidates, source_candidates, tagged_runs
from claimx.offline.pairing import MODEL_PATH, cue_features, source_features
from claimx.offline.tagger import TaggedSpan, tag_text
from claimx.schema import Span

__all__ = ["Group", "fit", "groups", "main"]

DEFAULT_DATA = "../shared/datasets/polnear/data/train"
#: Fitting knobs, chosen on PolNeAR dev.
EPOCHS = 10
RATE = 0.1
L2 = 1e-4
MIN_COUNT = 3  # a feature seen in fewer training candidates is left out
MATCH = 0.3  # the scorer's lenient content overlap
NAME_LABELS = True  # a candidate with the gold source's surname counts as right

#: One ranking: each candidate's features and whether it is right.
Group = tuple[list[list[str]], list[bool]]


def _overlaps(span: TaggedSpan, gold: Span | None) -> bool:
    return gold is not None and span.start < gold.end and gold.start < span.end


def _names_gold(span: TaggedSpan, gold: Span | None, text: str) -> bool:
    """Whether a source candidate is the gold's: it overlaps the gold source, or names it by surname.

    "Trump" for a gold "Donald Trump" elsewhere: the scorer credits a speaker whose mentions
    (every "Trump" the linker gives it) overlap the gold source.
    """
    if gold is None:
        return False
    if _overlaps(span, gold):
        return True
    if not NAME_LABELS:
        return False
    words, gold_words = text[span.start : span.end].split(), gold.text.split()
    return (
        bool(words and gold_words)
        and words[-1][:1].isupper()
        and words[-1].strip(",.’'s") == gold_words[-1].strip(",.’'s")
        and len(words) <= 3
    )


def groups(sample: Sample) -> tuple[list[Group], list[Group]]:
    """The cue rankings and the source rankings one gold article gives."""
    document = Document.from_text(sample.text)
    where = tagged_runs(tag_text(document.text), document)
    golds = sample.gold.attributions
    pieces = [sample.content_segments.get(g.id) or [(g.content.start, g.content.end)] for g in golds]
    cue_groups: list[Group] = []
    source_groups: list[Group] = []
    for content in where.contents:
        ratios = [overlap_ratio([(content.start, content.end)], p) for p in pieces]
        best = max(range(len(golds)), key=lambda i: ratios[i], default=None)
        if best is None or ratios[best] < MATCH:
            continue
        gold = golds[best]
        candidates = cue_candidates(content, where.cues)
        right = [_overlaps(c, gold.cue) for c in candidates]
        if any(right) and not all(right):
            cue_groups.append(([cue_features(c, content, candidates, where) for c in candidates], right))
        if not any(right):
            continue
        cue = candidates[right.index(True)]
        options = source_candidates(content, cue, where.sources, document)
        nobody = gold.speaker_mention is None and gold.speaker_id is None
        labels = [
            nobody if o.span is None else _names_gold(o.span, gold.speaker_mention, sample.text)
            for o in options
        ]
        if any(labels) and not all(labels):
            source_groups.append(
                ([source_features(o, cue, content, options, where) for o in options], labels)
            )
    return cue_groups, source_groups


def fit(data: list[Group], epochs: int = EPOCHS, rate: float = RATE, l2: float = L2) -> dict[str, float]:
    """A conditional logit's weights: the right candidates' share of each softmax, maximised.

    AdaGrad over the groups in the order given; the L2 penalty is applied to the features
    a group touches (lazily), which keeps a pass linear in the data.
    """
    counts = Counter(f for features, _ in data for candidate in features for f in set(candidate))
    kept = {f for f, n in counts.items() if n >= MIN_COUNT}
    weights: dict[str, float] = dict.fromkeys(sorted(kept), 0.0)
    squares: dict[str, float] = dict.fromkeys(weights, 1e-8)
    for _ in range(epochs):
        for features, labels in data:
            rows = [[f for f in candidate if f in kept] for candidate in features]
            scores = [sum(weights[f] for f in row) for row in rows]
            top = max(scores)
            exps = [math.exp(s - top) for s in scores]
            total = sum(exps)
            right = sum(e for e, good in zip(exps, labels, strict=True) if good)
            gradient: dict[str, float] = {}
            for row, e, good in zip(rows, exps, labels, strict=True):
                # d log(sum right) - d log(sum all): right share minus overall share.
                share = (e / right if good else 0.0) - e / total
                for f in row:
                    gradient[f] = gradient.get(f, 0.0) + share
            for f, g in gradient.items():
                g -= l2 * weights[f]
                squares[f] += g * g
                weights[f] += rate * g / math.sqrt(squares[f])
    return {f: round(w, 4) for f, w in sorted(weights.items()) if round(w, 4)}


def write(cue: dict[str, float], source: dict[str, float], out: Path) -> None:
    """The two rankers' weights as gzipped JSON (sorted keys, no timestamp: the bytes are stable)."""
    payload = json.dumps({"cue": cue, "source": source}, separators=(",", ":"), sort_keys=True).encode()
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
        f.write(payload)


def main(argv: list[str] | None = None) -> int:
    """Train on ``--data`` and write the weights to ``--out``."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--data", default=DEFAULT_DATA, help="PolNeAR split directory (text/, attributions/)")
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help="where to write the weights")
    parser.add_argument("--limit", type=int, default=None, help="train on the first N articles only")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    dataset = load_dataset(f"brat:{args.data}", limit=args.limit)
    cue_data: list[Group] = []
    source_data: list[Group] = []
    for sample in dataset.samples:
        cues, sources = groups(sample)
        cue_data += cues
        source_data += sources
    cue, source = fit(cue_data), fit(source_data)
    write(cue, source, args.out)
    print(
        f"trained on {len(dataset.samples)} articles ({len(cue_data)} cue and {len(source_data)} source "
        f"rankings) in {time.perf_counter() - started:.0f} s: {len(cue)} + {len(source)} weights, {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
