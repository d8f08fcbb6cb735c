"""Rebuild the offline stance models from SEESAW's training articles.

    python -m claimx.offline.train_stances [--data ../shared/datasets/seesaw] [--out PATH]

Reads SEESAW's ``train`` split (as ``claimx eval`` does), runs the offline attribution
reader on each article (its speakers and quotes are features), lists the candidate pairs
of :mod:`claimx.offline.stance_pairs` and labels each by the gold: a pair is a position
when a gold (subject, object) names the same two entities (by the scorer's own name and
target similarity). Two logistic models are fitted by plain gradient descent with an L2
penalty (no package needed): one for "is a position", one for "opposition rather than
support" on the true pairs. The threshold on the first is the one with the best F1 on
the training pairs. Deterministic; only this command reads the dataset.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import sys
from collections import Counter
from pathlib import Path

from claimx.document import Document
from claimx.evaluate.datasets import load_dataset
from claimx.evaluate.sample import Sample
from claimx.evaluate.similarity import name_similarity, topic_similarity
from claimx.names import is_pronoun
from claimx.offline.assemble import assemble, find_attributions
from claimx.offline.entities import Entity
from claimx.offline.stance_pairs import MODEL_PATH, Candidate, candidates, probability
from claimx.offline.tagger import tag_text
from claimx.schema import Stance

__all__ = ["fit", "labelled", "main"]

DEFAULT_DATA = "../shared/datasets/seesaw"
#: Fitting knobs, chosen on the training split.
L2 = 1e-4
EPOCHS = 8
RATE = 0.2
MIN_COUNT = 5  # a word feature seen in fewer training pairs is left out


def _map_entities(sample: Sample, entities: list[Entity]) -> dict[str, Entity]:
    """Gold actor id → the candidate entity naming it (best name match, at least 0.5)."""
    out: dict[str, Entity] = {}
    for actor in sample.gold.actors:
        names = [actor.name, *(m.text for m in actor.mentions if not is_pronoun(m.text))]
        best = max(entities, key=lambda e: name_similarity(names, sorted(e.variants)), default=None)
        if best is not None and name_similarity(names, sorted(best.variants)) >= 0.5:
            out[actor.id] = best
    return out


def labelled(sample: Sample) -> list[tuple[Candidate, int, int | None]]:
    """Each candidate pair of the article, whether it is a gold position, and if so 1 for opposition."""
    document = Document.from_text(sample.text)
    statements, _actors, speakers = assemble(find_attributions(tag_text(document.text), document), document)
    found = candidates(document, statements, speakers)
    entities = list({id(c.target): c.target for c in found}.values())
    by_gold = _map_entities(sample, entities)
    stances: dict[tuple[int, int], Counter[Stance]] = {}
    for p in sample.gold.positions:
        holder = 0
        if p.holder_id is not None:
            if p.holder_id not in by_gold:
                continue
            holder = id(by_gold[p.holder_id])
        if p.target_actor_id is not None and p.target_actor_id in by_gold:
            targets = [by_gold[p.target_actor_id]]
        else:
            targets = [e for e in entities if topic_similarity(p.target, e.name) >= 0.7]
        for target in targets[:1]:
            stances.setdefault((holder, id(target)), Counter())[p.stance] += 1
    out: list[tuple[Candidate, int, int | None]] = []
    for c in found:
        key = (id(c.holder) if c.holder else 0, id(c.target))
        seen = stances.get(key)
        if seen:
            out.append((c, 1, int(seen[Stance.OPPOSE] >= seen[Stance.SUPPORT])))
        else:
            out.append((c, 0, None))
    return out


def fit(rows: list[tuple[dict[str, float], int]], l2: float = L2, epochs: int = EPOCHS) -> dict[str, float]:
    """A logistic regression by stochastic gradient descent with AdaGrad steps (seeded order)."""
    weights: dict[str, float] = {"bias": 0.0}
    squares: dict[str, float] = {}
    order = list(range(len(rows)))
    shuffle = random.Random(0).shuffle
    for _ in range(epochs):
        shuffle(order)
        for i in order:
            features, y = rows[i]
            error = probability(weights, features) - y
            for k, v in (("bias", 1.0), *features.items()):
                w = weights.get(k, 0.0)
                g = error * v + (l2 * w if k != "bias" else 0.0)
                squares[k] = squares.get(k, 0.0) + g * g
                weights[k] = w - RATE * g / (math.sqrt(squares[k]) + 1e-8)
    return {k: round(v, 4) for k, v in sorted(weights.items()) if abs(v) >= 1e-4}


def _common(rows: list[tuple[dict[str, float], int]]) -> list[tuple[dict[str, float], int]]:
    counts = Counter(k for features, _ in rows for k in features if ":" in k)
    keep = {k for k, n in counts.items() if n >= MIN_COUNT}
    return [({k: v for k, v in f.items() if ":" not in k or k in keep}, y) for f, y in rows]


def _best_threshold(scored: list[tuple[float, int]], gold_total: int) -> float:
    best, best_f1 = 0.5, 0.0
    ordered = sorted(scored, reverse=True)
    tp = 0
    for i, (p, y) in enumerate(ordered, 1):
        tp += y
        f1 = 2 * tp / (i + gold_total) if gold_total else 0.0
        if f1 > best_f1:
            best, best_f1 = p, f1
    return best


def main(argv: list[str] | None = None) -> int:
    """Train on SEESAW train, write the weights, print a summary line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default=DEFAULT_DATA, help="the SEESAW folder")
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help="where to write the weights")
    args = parser.parse_args(argv)
    dataset = load_dataset(f"seesaw:{args.data}?split=train")
    examples = [row for sample in dataset.samples for row in labelled(sample)]
    gold_total = sum(len(s.gold.positions) for s in dataset.samples)
    pair_rows = _common([(c.features, y) for c, y, _ in examples])
    pair = fit(pair_rows)
    stance_rows = _common([(c.features, s) for c, _, s in examples if s is not None])
    oppose = fit(stance_rows)
    threshold = _best_threshold([(probability(pair, f), y) for f, y in pair_rows], gold_total)
    data = {"pair": pair, "oppose": oppose, "threshold": round(threshold, 4)}
    # No time stamp nor file name in the header: the same data gives the same bytes.
    args.out.write_bytes(gzip.compress(json.dumps(data, sort_keys=True).encode("utf-8"), mtime=0))
    print(
        json.dumps(
            {
                "articles": len(dataset.samples),
                "pairs": len(examples),
                "positive": sum(y for _, y in pair_rows),
                "gold": gold_total,
                "threshold": round(threshold, 4),
                "weights": len(pair) + len(oppose),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
