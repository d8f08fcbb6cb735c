"""The whole page: its sections in order, in one self-contained file."""

from __future__ import annotations

from claimx.evaluate.compare import compare_runs, document_deltas
from claimx.evaluate.runlog import Run
from claimx.evaluate.summary import LAYERS
from claimx.render.eval_report.assets import CSS, SCRIPT
from claimx.render.eval_report.charts import charts_section
from claimx.render.eval_report.documents import build_document, runs_by_document
from claimx.render.eval_report.header import page_header, run_name
from claimx.render.eval_report.metrics import metrics_section, run_summaries
from claimx.render.eval_report.table import documents_table, layers_present
from claimx.render.eval_report.viewer import (
    initial_document,
    json_for_script,
    pane_views,
    texts_and_data,
    viewer_section,
)
from claimx.render.htmlkit import page


def eval_report_html(
    run: Run,
    compare: Run | None = None,
    *,
    resamples: int | None = None,
    seed: int | None = None,
) -> str:
    """The HTML report of ``run``, or of ``compare`` (B) against ``run`` (A): one file, no network.

    Figures are recomputed from the runs' records with their own scoring options (the same seeded
    bootstrap as ``summary.json``); ``resamples`` and ``seed`` override the bootstrap, as in
    ``claimx eval compare``. For a comparison, both runs' figures cover the documents they share.
    """
    runs: dict[str, Run] = {"a": run} if compare is None else {"a": run, "b": compare}
    names = {key: run_name(r) for key, r in runs.items()}
    if compare is not None and names["a"] == names["b"]:
        names = {key: f"{key.upper()} {name}" for key, name in names.items()}
    summaries = run_summaries(runs, resamples, seed)
    comparison = deltas = None
    if compare is not None:
        comparison = compare_runs(
            run,
            compare,
            resamples=run.header.scoring.bootstrap if resamples is None else resamples,
            seed=run.header.scoring.seed if seed is None else seed,
        )
        deltas = {d.id: d for d in document_deltas(run, compare)}
    documents = [build_document(records) for records in runs_by_document(runs)]
    layers = layers_present(documents)
    templates, docs_data = texts_and_data(documents, names)
    data = {
        "layers": layers,
        "layerNames": list(LAYERS),
        "names": names,
        "views": pane_views(names, compare is not None),
        "initial": initial_document(documents, deltas),
        "docs": docs_data,
    }
    body = (
        page_header(runs, names)
        + '<main class="wide">'
        + metrics_section(summaries, comparison, names)
        + charts_section(summaries, comparison, deltas, names)
        + documents_table(documents, layers, deltas)
        + viewer_section(documents, layers, compare is not None)
        + "</main>"
        + f'<script type="application/json" id="report-data">{json_for_script(data)}</script>'
        + templates
    )
    title = f"{names['b']} vs {names['a']}" if compare is not None else names["a"]
    return page(title=f"{title} · claimx eval report", body=body, css=CSS, script=SCRIPT)
