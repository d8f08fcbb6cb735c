"""The Documents section: one sortable row per document with its scores (and changes)."""

from __future__ import annotations

from collections.abc import Sequence

from claimx.evaluate.compare import DocumentDelta
from claimx.evaluate.summary import LAYERS, headline_counts
from claimx.render.eval_report.documents import ReportDocument, mean_f1
from claimx.render.htmlkit import attrs, esc


def layers_present(documents: Sequence[ReportDocument]) -> list[str]:
    """The layers any document has items of, in the usual order."""
    return [layer for layer in LAYERS if any(item.layer == layer for d in documents for item in d.items)]


def num_cell(value: float | None, *, digits: int = 3, signed: bool = False, title: str | None = None) -> str:
    """A sortable number cell (its value in ``data-v``), or a dash for none."""
    if value is None:
        return "<td>—</td>"
    shown = f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"
    cls = None
    if signed:
        cls = "delta up" if value > 0 else "delta down" if value < 0 else "delta same"
    return f"<td{attrs({'class': cls, 'data-v': round(value, 4), 'title': title})}>{shown}</td>"


def sort_header(label: str, kind: str = "number", title: str | None = None) -> str:
    """A column header the page's script sorts by (``kind``: number or text)."""
    return (
        f"<th{attrs({'data-sort': kind, 'title': title})}>"
        f'<button type="button" class="sort">{esc(label)}</button></th>'
    )


def score_cells(document: ReportDocument, layer: str, compare: bool) -> list[str]:
    """A layer's F1 of one document: with its counts for one run; of A, of B and the change for two."""
    per_run = {run: headline_counts(r, layer) for run, r in document.records.items()}
    if not compare:
        counts = per_run.get("a")
        if counts is None:
            return ["<td>—</td>"]
        return [
            f"<td{attrs({'data-v': round(counts.f1, 4)})}>{counts.f1:.3f}"
            f' <span class="counts">{counts.tp}/{counts.n_pred}/{counts.n_gold}</span></td>'
        ]
    cells = []
    for run in ("a", "b"):
        counts = per_run.get(run)
        title = None if counts is None else f"{counts.tp}/{counts.n_pred}/{counts.n_gold}"
        cells.append(num_cell(None if counts is None else counts.f1, title=title))
    ca, cb = per_run.get("a"), per_run.get("b")
    cells.append(num_cell(None if ca is None or cb is None else cb.f1 - ca.f1, signed=True))
    return cells


def _notes(document: ReportDocument, compare: bool) -> str:
    notes = []
    for run, record in document.records.items():
        if record.error:
            who = f"{run.upper()} " if compare else ""
            message = record.error.message
            notes.append(f'<span class="badge oppose"{attrs({"title": message})}>{who}failed</span>')
    if compare and len(document.records) == 1:
        notes.append(f'<span class="badge plain">only in {esc(next(iter(document.records)).upper())}</span>')
    return " ".join(notes)


def document_row(
    index: int, document: ReportDocument, layers: Sequence[str], deltas: dict[str, DocumentDelta] | None
) -> str:
    """One row of the documents table; every sortable cell carries its value in ``data-v``."""
    compare = deltas is not None
    cells = [
        f'<td class="num" data-v="{index + 1}">{index + 1}</td>',
        f'<td class="doc" data-v="{esc(document.id)}" dir="auto">{esc(document.id)}</td>',
    ]
    for layer in layers:
        cells += score_cells(document, layer, compare)
    if deltas is not None:
        delta = deltas.get(document.id)
        cells.append(num_cell(delta.delta_f1 if delta else None, signed=True))
    else:
        cells.append(num_cell(mean_f1(document.records["a"])))
    cells.append(f"<td>{_notes(document, compare)}</td>")
    return f"<tr{attrs({'class': 'row', 'data-doc': index, 'tabindex': 0})}>{''.join(cells)}</tr>"


def documents_table(
    documents: Sequence[ReportDocument], layers: Sequence[str], deltas: dict[str, DocumentDelta] | None
) -> str:
    """One row per document, sortable by any score; a click on a row opens the document below."""
    compare = deltas is not None
    heads = [sort_header("#", title="dataset order"), sort_header("Document", "text")]
    for layer in layers:
        if compare:
            heads += [sort_header(f"{layer} A"), sort_header(f"{layer} B"), sort_header(f"Δ {layer}")]
        else:
            heads.append(sort_header(f"{layer} F1", title="matched / predicted / gold beneath"))
    heads.append(sort_header("Δ F1" if compare else "Mean F1", title="mean over layers"))
    heads.append("<th>Notes</th>")
    rows = "".join(document_row(i, d, layers, deltas) for i, d in enumerate(documents))
    hint = "Click a column to sort (again to reverse); click a document to see it below. Cells show F1" + (
        " of A and B and the change." if compare else " and matched / predicted / gold."
    )
    return (
        f'<section class="panel" id="documents"><h2>Documents</h2><p class="hint">{hint}</p>'
        f'<div class="docs-wrap"><table class="grid docs" id="docs"><thead><tr>{"".join(heads)}</tr></thead>'
        f"<tbody>{rows}</tbody></table></div></section>"
    )
