"""The run format: a self-describing folder that can be rescored, compared and rendered.

    DIR/run.json        RunHeader: format name and version, dataset, model, prompt, parameters, versions
    DIR/samples.jsonl   one SampleRecord per line: the sample (text and gold), the prediction, scores,
                        usage, latency and error; written as each sample finishes
    DIR/summary.json    the aggregate scores (see claimx.evaluate.summary)
    DIR/summary.md      the same for a pull-request comment

A run holds everything scoring needs, so ``claimx eval score DIR`` works
without the dataset or the model. Readers refuse a newer format version rather
than misread it.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from claimx.batch import DocumentError
from claimx.errors import ConfigError, InputError
from claimx.evaluate.predictors import Description
from claimx.evaluate.sample import Sample
from claimx.evaluate.scorers import SampleScores, ScoringOptions
from claimx.schema import Extraction, Usage

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "DatasetInfo",
    "Run",
    "RunHeader",
    "RunWriter",
    "SampleRecord",
    "git_revision",
    "read_run",
]

FORMAT_NAME = "claimx-eval-run"
FORMAT_VERSION = 1
HEADER_FILE = "run.json"
SAMPLES_FILE = "samples.jsonl"
SUMMARY_FILE = "summary.json"
REPORT_FILE = "summary.md"


class DatasetInfo(BaseModel):
    """Which data a run used."""

    spec: str
    name: str
    samples: int
    limit: int | None = None
    stats: dict[str, int] = Field(default_factory=dict)


class RunHeader(Description):
    """Everything that shaped a run, written before the first sample.

    The predictor's :class:`~claimx.evaluate.predictors.Description` (one provenance record,
    shared with every extraction's ``meta``) and the run's own facts.
    """

    model_config = ConfigDict(extra="allow")

    format: str = FORMAT_NAME
    format_version: int = FORMAT_VERSION
    run_id: str
    dataset: DatasetInfo
    scoring: ScoringOptions = Field(default_factory=ScoringOptions)
    git_revision: str | None = None
    python: str = Field(default_factory=platform.python_version)
    date: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


class SampleRecord(Sample):
    """One line of ``samples.jsonl``: the sample, what was predicted, and how it scored."""

    prediction: Extraction | None = None
    scores: SampleScores = Field(default_factory=SampleScores)
    usage: Usage = Field(default_factory=Usage)
    latency_s: float = 0.0
    error: DocumentError | None = Field(default=None, description="Why no prediction: type, cause, message.")


class Run(BaseModel):
    """A run read back from its folder."""

    path: Path
    header: RunHeader
    records: list[SampleRecord]
    #: The number of a last line that was cut off (a run interrupted while writing it), left out.
    torn_line: int | None = None


def git_revision(start: Path | None = None) -> str | None:
    """The checkout's commit (with ``-dirty`` when files changed), or None outside a git checkout."""
    where = start or Path(__file__).resolve().parent
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{rev}-dirty" if dirty else rev or None


#: At most one ``fsync`` of the samples file per this many seconds while a run writes it.
SYNC_INTERVAL_S = 1.0


class RunWriter:
    """Writes a run folder: the header first, then one flushed line per finished sample.

    Every line is flushed as its sample finishes, so a crash of claimx loses only unfinished
    samples; it is pushed to disk (``fsync``) at most once a second, and at the close, so
    an offline run of 84 articles in seconds does not wait for the disk 84 times (a crash
    of the machine itself may lose the last second's lines: the rerun redoes them).
    Each line is kept (:attr:`lines`) for the dataset-order rewrite at the end.
    """

    def __init__(self, folder: Path, header: RunHeader) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / HEADER_FILE).write_text(header.model_dump_json(indent=2) + "\n", encoding="utf-8")
        self._handle: IO[str] = (folder / SAMPLES_FILE).open("w", encoding="utf-8")
        self._synced = time.monotonic()
        #: sample id → its line as written (without the newline)
        self.lines: dict[str, str] = {}

    def write(self, record: SampleRecord) -> None:
        """Append one sample's line and flush it (to disk, if a second has passed since the last time)."""
        line = record.model_dump_json(exclude_none=False)
        self.lines[record.id] = line
        self._handle.write(line + "\n")
        self._handle.flush()
        if time.monotonic() - self._synced >= SYNC_INTERVAL_S:
            self._sync()

    def _sync(self) -> None:
        os.fsync(self._handle.fileno())
        self._synced = time.monotonic()

    def close(self) -> None:
        """Push what is left to disk and close the samples file."""
        try:
            self._sync()
        finally:
            self._handle.close()


def read_header(folder: Path) -> RunHeader:
    """The header of a run folder, refusing what is not a run or is from a newer claimx."""
    path = folder / HEADER_FILE
    if not path.is_file():
        raise ConfigError(f"{folder} is not an eval run (no {HEADER_FILE})")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not JSON ({exc.msg})") from exc
    if not isinstance(raw, dict) or raw.get("format") != FORMAT_NAME:
        raise InputError(f"{path}: not a {FORMAT_NAME} header")
    version = raw.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ConfigError(
            f"{path}: run format version {version} is newer than this claimx reads ({FORMAT_VERSION}); "
            "upgrade claimx"
        )
    try:
        return RunHeader.model_validate(raw)
    except ValidationError as exc:
        raise InputError(f"{path}: {exc.errors()[0]['msg']}") from exc


def read_run(folder: Path) -> Run:
    """A whole run: header and every complete sample line (a torn last line is ignored)."""
    header = read_header(folder)
    path = folder / SAMPLES_FILE
    records: list[SampleRecord] = []
    torn: int | None = None
    if path.is_file():
        lines = path.read_text(encoding="utf-8").split("\n")
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                records.append(SampleRecord.model_validate_json(line))
            except ValidationError as exc:
                if number == len(lines) or (number == len(lines) - 1 and not lines[-1]):
                    torn = number  # the last line of an interrupted run may be half written
                    break
                raise InputError(f"{path}:{number}: {exc.errors()[0]['msg']}") from exc
    return Run(path=folder, header=header, records=records, torn_line=torn)


def torn_note(run: Run) -> str | None:
    """What to tell the user when a run's last line was cut off and is left out, else None."""
    if run.torn_line is None:
        return None
    return (
        f"{run.path / SAMPLES_FILE}:{run.torn_line}: the last line was cut off (the run was "
        "interrupted while writing it); that document is left out"
    )


def write_records(folder: Path, records: list[SampleRecord], lines: Mapping[str, str] | None = None) -> None:
    """Rewrite ``samples.jsonl`` whole (after rescoring, or to put lines in dataset order), atomically.

    ``lines`` holds records' lines already made (:attr:`RunWriter.lines`), used as they are.
    """
    lines = lines or {}
    tmp = folder / f".{SAMPLES_FILE}.tmp"
    with tmp.open("w", encoding="utf-8") as handle:
        for record in records:
            line = lines.get(record.id)
            handle.write((record.model_dump_json() if line is None else line) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, folder / SAMPLES_FILE)
