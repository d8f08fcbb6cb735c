"""An eval run, or two runs compared, as one self-contained HTML page.

The page answers, in order: how good is it (per-layer precision, recall and F1 with their
bootstrap intervals, as a table and as bars), which documents are weak or moved (a table of
documents sortable by any score, and for a comparison a bar per document), and why (for any
document, gold and prediction side by side with every matched, missed and false-positive item
marked in the text).

Nothing is matched here: which predicted item matched which gold item, and which are misses
and false positives, is read from the scorer's own record of the run (``SampleScores``), so the
page shows exactly what the figures count. Each document's text is embedded once, in a
``<template>``, with its marks as ``<span data-m>`` elements; a small script clones it into the
two panes and colours each mark for the pane (gold against run A, run B's prediction, …). The
page needs no network, like every page :mod:`claimx.render.htmlkit` builds.
"""

from claimx.render.eval_report.page import eval_report_html

__all__ = ["eval_report_html"]
