"""Grounding cost against text length: 1k, 10k and 100k characters.

For each length, a synthetic article (``_corpus.py``) with one statement per ~200 characters
and the answer a model would give, with a share of imperfect quotes (normalized, fuzzy,
ellipsis) and of citations pointing at the wrong sentence (one in ten). The work therefore
grows with the text, and linear cost means a tenfold time for a tenfold text.

Timed for each length (median of repeated runs, each on a fresh :class:`Aligner`, whose
normalized mirror of the text is built lazily inside the timing):

* ``aligner``: locating every statement's quote in its cited sentences (``Aligner.locate``),
  every actor's name and mentions everywhere (``locate_all``) and every cue next to its quote
  (``locate_near``): all the grounding ``link`` asks for;
* ``link``: the whole of ``claimx.link.link`` (grounding plus actor resolution and ids).

    python benchmarks/grounding.py         # last line: JSON with times and growth ratios
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import article

LENGTHS = (1_000, 10_000, 100_000)
MIN_SECONDS = 1.0  # repeat each measurement at least this long
MIN_RUNS = 5


def _workload(chars: int) -> tuple[Any, Any]:
    from claimx.document import Document
    from claimx.response import Response

    text, answer = article(statements=max(1, chars // 200), chars=chars, seed=chars)
    document = Document.from_text(text, f"len-{chars}")
    for i, statement in enumerate(answer["statements"]):
        if i % 10 == 9:  # the model cites a neighbouring sentence instead
            number = int(statement["sentences"][0][1:])
            statement["sentences"] = [f"S{max(1, min(len(document.sentences), number + 2))}"]
    return document, Response.model_validate(answer)


def _aligner_pass(document: Any, response: Any) -> int:
    from claimx.ground import Aligner

    aligner = Aligner(document)
    found = 0
    for actor in response.actors:
        for words in (actor.name, *actor.mentions):
            found += len(aligner.locate_all(words))
    for statement in response.statements:
        span = aligner.locate(statement.quote, statement.sentences)
        if span is None:
            continue
        found += 1
        if statement.cue:
            found += aligner.locate_near(statement.cue, span.start, span.end) is not None
    return found


def _link_pass(document: Any, response: Any) -> int:
    from claimx.link import link

    return len(link(document, response).claims)


def _time(fn: Any, *args: Any) -> tuple[float, int]:
    fn(*args)  # warm
    times: list[float] = []
    result = 0
    total = 0.0
    while len(times) < MIN_RUNS or total < MIN_SECONDS:
        started = time.perf_counter()
        result = fn(*args)
        elapsed = time.perf_counter() - started
        times.append(elapsed)
        total += elapsed
    return statistics.median(times) * 1000, result


def main() -> None:
    rows: dict[int, dict[str, float]] = {}
    for chars in LENGTHS:
        document, response = _workload(chars)
        aligner_ms, found = _time(_aligner_pass, document, response)
        link_ms, claims = _time(_link_pass, document, response)
        rows[chars] = {
            "chars": len(document.text),
            "statements": len(response.statements),
            "aligner_ms": aligner_ms,
            "link_ms": link_ms,
            "grounded": claims,
            "spans_found": found,
        }
        print(
            f"{len(document.text):>7,} chars, {len(response.statements):>3} statements: "
            f"aligner {aligner_ms:8.2f} ms, link {link_ms:8.2f} ms "
            f"({claims} claims grounded, {found} spans found)"
        )

    def ratio(key: str, big: int, small: int) -> float:
        return round(rows[big][key] / rows[small][key], 2)

    figures: dict[str, Any] = {
        "aligner_ms": {str(k): round(v["aligner_ms"], 3) for k, v in rows.items()},
        "link_ms": {str(k): round(v["link_ms"], 3) for k, v in rows.items()},
        "grounded": {str(k): int(v["grounded"]) for k, v in rows.items()},
        # Linear growth gives 10 for each tenfold step (the work, too, grows tenfold).
        "aligner_ratio_10k_1k": ratio("aligner_ms", 10_000, 1_000),
        "aligner_ratio_100k_10k": ratio("aligner_ms", 100_000, 10_000),
        "link_ratio_10k_1k": ratio("link_ms", 10_000, 1_000),
        "link_ratio_100k_10k": ratio("link_ms", 100_000, 10_000),
    }
    print(
        f"growth per tenfold length (linear = 10): aligner {figures['aligner_ratio_10k_1k']}, "
        f"{figures['aligner_ratio_100k_10k']}; link {figures['link_ratio_10k_1k']}, "
        f"{figures['link_ratio_100k_10k']}"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
