"""``summary.json`` and ``claimx eval compare --json`` are formats others read: they must not move.

``data/eval_summaries.json`` holds, for real eval runs (baseline and a noisy oracle on PolNeAR dev,
the baseline on SEESAW and the seed) and edge cases (one or two documents, failures, nothing),
each run's per-document scores without any article text, and the exact bytes claimx wrote for
their summary and comparison before these were typed models. The same scores must give the
same bytes, and reading the bytes back must give the same model. A deliberate change of either
format (a new figure) edits the expected bytes in the same commit, so the diff shows it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from claimx.evaluate.compare import Comparison, compare_runs
from claimx.evaluate.run import write_summary
from claimx.evaluate.runlog import SUMMARY_FILE, DatasetInfo, Run, RunHeader, SampleRecord
from claimx.evaluate.sample import Gold
from claimx.evaluate.scorers import ScoringOptions
from claimx.evaluate.summary import Summary

from .conftest import DATA

FIXTURE = json.loads((DATA / "eval_summaries.json").read_text(encoding="utf-8"))


def _records(rows: list[dict[str, Any]]) -> list[SampleRecord]:
    return [SampleRecord(text="", gold=Gold(), **row) for row in rows]


@pytest.mark.parametrize("case", FIXTURE["summaries"], ids=lambda case: case["name"])
def test_summary_json_is_byte_identical_to_the_format_before(case: dict[str, Any], tmp_path: Path) -> None:
    options = ScoringOptions.model_validate(case["options"])
    header = RunHeader(
        model="m",
        provider="p",
        run_id="r",
        dataset=DatasetInfo(spec="s", name="n", samples=len(case["records"])),
        scoring=options,
    )
    summary = write_summary(tmp_path, header, _records(case["records"]))
    assert (tmp_path / SUMMARY_FILE).read_text(encoding="utf-8") == case["summary_json"]
    # Read back, the file is the same model: nothing computed is lost, nothing absent appears.
    assert Summary.model_validate_json(case["summary_json"]) == summary
    assert Summary.model_validate_json(case["summary_json"]).to_json() == case["summary_json"]


@pytest.mark.parametrize("case", FIXTURE["comparisons"], ids=lambda case: case["name"])
def test_comparison_json_is_byte_identical_to_the_format_before(case: dict[str, Any]) -> None:
    a, b = (
        Run(
            path=Path(f"runs/{side}"),
            header=RunHeader.model_validate(case[side]["header"]),
            records=_records(case[side]["records"]),
        )
        for side in ("a", "b")
    )
    comparison = compare_runs(a, b, **case["kwargs"])
    assert comparison.to_json() == case["comparison_json"]
    assert Comparison.model_validate_json(case["comparison_json"]).to_json() == case["comparison_json"]
