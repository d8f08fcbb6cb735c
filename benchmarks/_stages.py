"""Ground (and link, build and dump) ``overhead.py``'s article a given number of times, for callgrind.

Counts instructions in those stages alone, which no other process on a shared machine can
stretch: the articles run inside one ``itertools.takewhile`` call, so callgrind can collect
only there (the same count for any load; K = 0 collects a few dozen instructions):

    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=takewhile_next \\
        --callgrind-out-file=/dev/null python benchmarks/_stages.py all 2
    # instructions per article: Collected / 2; "ground" instead of "all" for grounding alone

The answer is parsed and the document built once, before (as in ``overhead.py``'s stage
times, caches warm after one article); the collector is off, its cost depending on what else
the process holds (``overhead.py``'s ``gc_ms_per_doc`` measures it).
"""

from __future__ import annotations

import gc
import itertools
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import article


def main() -> None:
    from claimx.document import Document
    from claimx.ground import Aligner, ground
    from claimx.link import link
    from claimx.response import as_response, response_model_for
    from claimx.schema import Meta

    stages, count = sys.argv[1], int(sys.argv[2])
    text, answer = article(statements=100, chars=20_000)
    document = Document.from_text(text, "bench")
    model = response_model_for(1, len(document.sentences))
    response = as_response(model.model_validate_json(json.dumps(answer, ensure_ascii=False)))
    meta = Meta(
        model="bench", provider="openai", prompt_id="p", prompt_sha256="s", response_schema_sha256="r"
    )

    def one(_: int) -> None:
        grounded = ground(document, [response], Aligner(document))
        if stages == "all":
            link(grounded).to_extraction(document, meta).model_dump_json()

    one(0)  # warm
    gc.disable()
    for _ in itertools.takewhile(lambda i: (one(i), True)[1], range(count)):
        pass


if __name__ == "__main__":
    main()
