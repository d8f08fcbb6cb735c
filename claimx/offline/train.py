"""Rebuild the offline tagger's model file from PolNeAR's training articles.

    python -m claimx.offline.train [--data ../shared/datasets/polnear/data/train] [--out PATH]

Reads the brat annotations (one annotator per article, the first by file name, as
``claimx eval`` does), labels every token source, cue, content or nothing, trains a
linear-chain CRF with python-crfsuite (L-BFGS with L1 and L2 penalties; features seen
fewer than five times are left out) and writes its non-zero weights as gzipped JSON,
which :mod:`claimx.offline.tagger` decodes in plain Python. Deterministic: the same
data gives the same file. Only this command reads the dataset, and only it needs
python-crfsuite (``pip install -e '.[dev]'``); the library loads the file shipped in
the package.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from claimx.evaluate.datasets import load_dataset
from claimx.evaluate.sample import Sample
from claimx.offline.features import paragraph_features, paragraphs, tokenize
from claimx.offline.tagger import MODEL_PATH

__all__ = ["export_weights", "labelled_sequences", "main"]

DEFAULT_DATA = "../shared/datasets/polnear/data/train"
#: Training knobs, chosen on PolNeAR dev.
PARAMS = {
    "c1": 1.0,
    "c2": 0.01,
    "max_iterations": 100,
    "feature.minfreq": 5,
    "feature.possible_transitions": True,
}


def _char_labels(sample: Sample) -> list[str]:
    labels = ["O"] * len(sample.text)
    for att in sample.gold.attributions:
        pieces = sample.content_segments.get(att.id) or [(att.content.start, att.content.end)]
        for a, b in pieces:
            labels[a:b] = ["CON"] * (b - a)
        if att.speaker_mention is not None:
            m = att.speaker_mention
            labels[m.start : m.end] = ["SRC"] * (m.end - m.start)
        if att.cue is not None:
            labels[att.cue.start : att.cue.end] = ["CUE"] * (att.cue.end - att.cue.start)
    return labels


def labelled_sequences(sample: Sample) -> list[tuple[list[list[str]], list[str]]]:
    """(features, labels) for each paragraph of a gold sample."""
    chars = _char_labels(sample)
    out = []
    for start, end in paragraphs(sample.text):
        tokens = tokenize(sample.text, start, end)
        if not tokens:
            continue
        out.append((paragraph_features(tokens), [chars[t.start] for t in tokens]))
    return out


def export_weights(crfsuite_model: Path, out: Path) -> int:
    """Write a crfsuite model's non-zero weights to ``out`` (gzipped JSON); return the feature count."""
    import pycrfsuite  # (training only: decoding needs no compiled package)

    tagger = pycrfsuite.Tagger()
    tagger.open(str(crfsuite_model))
    info: Any = tagger.info()
    labels = sorted(info.labels, key=lambda label: int(info.labels[label]))
    index = {label: i for i, label in enumerate(labels)}
    features: dict[str, list[float]] = {}
    for (name, label), weight in info.state_features.items():
        if weight:
            features.setdefault(name, [0.0] * len(labels))[index[label]] = round(weight, 4)
    transitions = [[0.0] * len(labels) for _ in labels]
    for (previous, label), weight in info.transitions.items():
        transitions[index[previous]][index[label]] = round(weight, 4)
    data = {"labels": labels, "transitions": transitions, "features": features}
    payload = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
        f.write(payload)
    return len(features)


def main(argv: list[str] | None = None) -> int:
    """Train on ``--data`` and write the weights to ``--out``."""
    import pycrfsuite

    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--data", default=DEFAULT_DATA, help="PolNeAR split directory (text/, attributions/)")
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help="where to write the weights")
    parser.add_argument("--limit", type=int, default=None, help="train on the first N articles only")
    parser.add_argument("--verbose", action="store_true", help="print crfsuite's progress")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    dataset = load_dataset(f"brat:{args.data}", limit=args.limit)
    trainer = pycrfsuite.Trainer(verbose=args.verbose)
    sequences = 0
    for sample in dataset.samples:
        for features, labels in labelled_sequences(sample):
            trainer.append(features, labels)
            sequences += 1
    trainer.set_params(PARAMS)
    with tempfile.TemporaryDirectory() as folder:
        model = Path(folder) / "model.crfsuite"
        trainer.train(str(model))
        count = export_weights(model, args.out)
    size = args.out.stat().st_size
    print(
        f"trained on {len(dataset.samples)} articles ({sequences} paragraphs) in "
        f"{time.perf_counter() - started:.0f} s: {count} features, {args.out} ({size / 1e6:.2f} MB)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
