"""The offline weight files are read once per file version, whichever loader and path asks."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest

from claimx.errors import ConfigError
from claimx.offline import pairing, stance_pairs, tagger
from claimx.offline.weightfile import load_weight_file


def write(path: Path, data: dict[str, Any]) -> None:
    path.write_bytes(gzip.compress(json.dumps(data).encode("utf-8"), mtime=0))


def test_two_files_asked_in_turn_are_each_read_once(tmp_path: Path) -> None:
    reads: list[Any] = []

    def build(data: Any) -> dict[str, Any]:
        reads.append(data)
        return dict(data)

    first, second = tmp_path / "a.json.gz", tmp_path / "b.json.gz"
    write(first, {"w": 1.0})
    write(second, {"w": 2.0})
    loaded = [load_weight_file(p, build) for p in (first, second, first, second, str(first))]
    assert len(reads) == 2  # (lru_cache(maxsize=1) read the file again on every call here)
    assert loaded[0] is loaded[2] is loaded[4] and loaded[1] is loaded[3]
    assert [w["w"] for w in loaded if w is not None] == [1.0, 2.0, 1.0, 2.0, 1.0]


def test_a_rewritten_file_is_read_again_and_a_missing_one_is_none(tmp_path: Path) -> None:
    path = tmp_path / "pairing.json.gz"
    write(path, {"cue": {"near": 1.0}, "source": {}})
    before = pairing.load_pair_weights(path)
    write(path, {"cue": {"near": 2.0, "far": -1.0}, "source": {"x": 0.5}})
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # (a later write, surely)
    after = pairing.load_pair_weights(path)
    assert before is not None and before.cue == {"near": 1.0}
    assert after is not None and after.cue == {"near": 2.0, "far": -1.0} and after.source == {"x": 0.5}
    assert pairing.load_pair_weights(tmp_path / "missing.json.gz") is None
    assert stance_pairs.load_stance_weights(tmp_path / "missing.json.gz") is None
    with pytest.raises(ConfigError, match="weights are missing"):
        tagger.load_weights(tmp_path / "missing.json.gz")


def test_each_shipped_model_is_one_object_however_its_path_is_given() -> None:
    assert tagger.load_weights() is tagger.load_weights(tagger.MODEL_PATH)
    assert pairing.load_pair_weights() is pairing.load_pair_weights(pairing.MODEL_PATH) is not None
    stances = stance_pairs.load_stance_weights()
    assert stances is stance_pairs.load_stance_weights(stance_pairs.MODEL_PATH) is not None
