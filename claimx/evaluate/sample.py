"""One evaluation sample: an article, its gold labels in the public schema, and what the gold covers.

After inspect_ai's ``Sample``: an ``id``, the input ``text`` and the expected
output ``gold``. Gold labels are the same objects claimx returns
(:mod:`claimx.schema`), so a prediction and its gold are compared like with
like, and the gold itself can be served as a prediction (``--model gold``).

Not every dataset labels every layer: PolNeAR marks attributions (and, through
their contents, claims) but no stances; SEESAW marks stances only. ``layers``
says which layers a sample's gold covers; the others are not scored.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from claimx._version import __version__
from claimx.schema import Actor, Attribution, Claim, Extraction, Meta, Position, Usage

__all__ = ["Gold", "Layer", "Sample", "gold_extraction"]


class Layer(StrEnum):
    """The three layers an extraction has, and that gold may label."""

    ATTRIBUTIONS = "attributions"
    CLAIMS = "claims"
    POSITIONS = "positions"


class Gold(BaseModel):
    """The expected output for one article, in the public schema."""

    model_config = ConfigDict(extra="forbid")

    actors: list[Actor] = Field(default_factory=list)
    claims: list[Claim] = Field(default_factory=list)
    attributions: list[Attribution] = Field(default_factory=list)
    positions: list[Position] = Field(default_factory=list)


class Sample(BaseModel):
    """An article with its gold labels."""

    model_config = ConfigDict(extra="forbid")

    id: str
    text: str
    gold: Gold
    layers: list[Layer] = Field(
        default_factory=lambda: list(Layer), description="The layers this gold labels; others are not scored."
    )
    author_statements: bool = Field(
        default=True,
        description="Whether the gold marks the article's own voice (mode 'author'); when it does not, "
        "predicted author-mode attributions and their claims are left out of scoring.",
    )
    content_segments: dict[str, list[tuple[int, int]]] = Field(
        default_factory=dict,
        description="Discontinuous attribution contents: attribution id → [start, end) pieces. The "
        "attribution's content span covers them all; overlap is measured on the pieces.",
    )
    meta: dict[str, Any] = Field(default_factory=dict, description="Where the sample came from.")

    def scores_layer(self, layer: Layer) -> bool:
        """True when this sample's gold labels ``layer``."""
        return layer in self.layers


def gold_extraction(sample: Sample) -> Extraction:
    """The gold labels as an :class:`Extraction`: the ``gold`` reference predictor's answer."""
    digest = hashlib.sha256(sample.gold.model_dump_json().encode()).hexdigest()
    return Extraction(
        doc_id=sample.id,
        text_sha256=hashlib.sha256(sample.text.encode("utf-8", "surrogatepass")).hexdigest(),
        actors=[a.model_copy(deep=True) for a in sample.gold.actors],
        claims=[c.model_copy(deep=True) for c in sample.gold.claims],
        attributions=[a.model_copy(deep=True) for a in sample.gold.attributions],
        positions=[p.model_copy(deep=True) for p in sample.gold.positions],
        meta=Meta(
            model="gold",
            provider="claimx",
            prompt_id="gold",
            prompt_sha256=digest,
            response_schema_sha256="-",
            claimx_version=__version__,
            usage=Usage(cost_usd=0.0),  # no model was asked: the run's cost is known, and nothing
        ),
    )
