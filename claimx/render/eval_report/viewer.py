"""The Document viewer section: a picker, switches and two panes, the texts and their marks."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from claimx.evaluate.compare import DocumentDelta
from claimx.render.eval_report.documents import ReportDocument, document_data, marks_of, mean_f1
from claimx.render.htmlkit import attrs, esc, marked_text

LEGEND = (
    '<div class="legend">'
    '<span><span class="m hit">matched</span> a gold item and the prediction paired with it</span>'
    '<span><span class="m miss">missed</span> a gold item nothing matched</span>'
    '<span><span class="m fp">false positive</span> a predicted item that matches no gold</span>'
    "</div>"
)


def viewer_section(documents: Sequence[ReportDocument], layers: Sequence[str], compare: bool) -> str:
    """The side-by-side: a document picker, layer and view switches, a legend and two panes."""
    options = "".join(f'<option value="{i}">{esc(d.id)}</option>' for i, d in enumerate(documents))
    layer_inputs = "".join(
        f'<label><input type="radio" name="layer"{attrs({"value": layer, "checked": i == 0})}> '
        f"{esc(layer)}</label>"
        for i, layer in enumerate(layers)
    )
    view = ""
    if compare:
        view = (
            '<label>View <select id="view-select">'
            '<option value="0">A against B (each with its misses)</option>'
            '<option value="1">gold against A</option><option value="2">gold against B</option>'
            "</select></label>"
        )
    panes = "".join(
        f'<div class="pane" id="pane-{i}"><h3><span class="what"></span>'
        f' <span class="counts"></span></h3><p class="missing hint" hidden></p>'
        f'<div class="text" tabindex="0"></div><ul class="unplaced" hidden></ul></div>'
        for i in range(2)
    )
    return (
        '<section class="panel" id="viewer"><h2>Document</h2>'
        f'<div class="controls"><label>Document <select id="doc-select">{options}</select></label>'
        f'<span class="layers" role="radiogroup" aria-label="layer">{layer_inputs}</span>{view}</div>'
        '<h3 id="doc-title" dir="auto"></h3><ul id="doc-facts" class="facts"></ul>'
        f'{LEGEND}<p class="hint small">Hover a mark for its item and how it matched; click it to '
        "find its partner in the other pane. Items without a place in the text (no evidence) are "
        "listed beneath their pane. A position paired on holder and target but with the wrong "
        "stance is a miss and a false positive, as the scores count it.</p>"
        f'<div class="sbs">{panes}</div></section>'
    )


def pane_views(names: dict[str, str], compare: bool) -> list[list[dict[str, str]]]:
    """Which two panes each view shows: what kind of items, judged against which run."""
    if not compare:
        return [
            [
                {"kind": "gold", "run": "a", "title": "Gold"},
                {"kind": "pred", "run": "a", "title": f"Prediction: {names['a']}"},
            ]
        ]
    return [
        [
            {"kind": "run", "run": "a", "title": f"A: {names['a']}"},
            {"kind": "run", "run": "b", "title": f"B: {names['b']}"},
        ],
        [
            {"kind": "gold", "run": "a", "title": "Gold, against A"},
            {"kind": "pred", "run": "a", "title": f"A: {names['a']}"},
        ],
        [
            {"kind": "gold", "run": "b", "title": "Gold, against B"},
            {"kind": "pred", "run": "b", "title": f"B: {names['b']}"},
        ],
    ]


SURROGATE = re.compile(r"[\ud800-\udfff]")


def json_for_script(value: object) -> str:
    """JSON that cannot end its ``<script>`` element early, whatever the article says.

    Lone surrogates (which UTF-8 cannot carry) become U+FFFD, as :func:`esc` does in the text.
    """
    raw = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (
        SURROGATE.sub("\ufffd", raw).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    )


def texts_and_data(
    documents: Sequence[ReportDocument], names: dict[str, str]
) -> tuple[str, list[dict[str, Any]]]:
    """Each document's marked text as a ``<template>`` (its only copy), and its marks for the script."""
    templates = []
    data = []
    for index, document in enumerate(documents):
        marks, placed = marks_of(document)
        templates.append(f'<template id="doc-{index}">{marked_text(document.text, marks)}</template>')
        data.append(document_data(document, placed, names))
    return "".join(templates), data


def initial_document(documents: Sequence[ReportDocument], deltas: dict[str, DocumentDelta] | None) -> int:
    """The document opened first: the one that got most worse, or the weakest of a single run."""
    if not documents:
        return -1
    if deltas is not None:
        scored = [(deltas[d.id].delta_f1, i) for i, d in enumerate(documents) if d.id in deltas]
    else:
        scored = [(f1, i) for i, d in enumerate(documents) if (f1 := mean_f1(d.records["a"])) is not None]
    return min(scored)[1] if scored else 0
