"""The public result models: what a user of claimx receives.

These are deliberately separate from the schema the language model fills in
(:mod:`claimx.response`). The model returns verbatim quotes and sentence ids;
grounding and linking turn them into the objects below, in which every span's
offsets index the caller's original string, so ``text[span.start:span.end] ==
span.text`` holds for every span of an :class:`Extraction` built from ``text``.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from claimx._version import __version__

__all__ = [
    "Actor",
    "ActorKind",
    "Alignment",
    "Attribution",
    "Claim",
    "ClaimKind",
    "DocumentMetadata",
    "Extraction",
    "Meta",
    "Mode",
    "Position",
    "Provenance",
    "Rejected",
    "RejectionCode",
    "Span",
    "Stance",
    "Usage",
    "extraction_json_schema",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False)


class Alignment(StrEnum):
    """How a span was found in the source text (after langextract's match statuses)."""

    EXACT = "exact"
    NORMALIZED = "normalized"
    FUZZY = "fuzzy"


class ActorKind(StrEnum):
    """What sort of actor speaks or holds a position."""

    PERSON = "person"
    ORGANIZATION = "organization"
    GOVERNMENT = "government"
    GROUP = "group"
    MEDIA = "media"
    OTHER = "other"


class ClaimKind(StrEnum):
    """What sort of proposition a claim is."""

    FACT = "fact"
    OPINION = "opinion"
    PREDICTION = "prediction"
    COMMITMENT = "commitment"
    HOPE = "hope"
    OTHER = "other"


class Mode(StrEnum):
    """How a claim is attributed.

    ``author`` is the article's own voice: nobody in the text is credited with it.
    """

    DIRECT = "direct"
    INDIRECT = "indirect"
    MIXED = "mixed"
    AUTHOR = "author"


class Stance(StrEnum):
    """An actor's stance toward a target."""

    SUPPORT = "support"
    OPPOSE = "oppose"
    NEUTRAL = "neutral"
    MIXED = "mixed"


class Span(_Model):
    """A stretch of the source text: ``source[start:end] == text``.

    Offsets are Python ``str`` indices (code points) into the string the caller
    passed in, whatever normalisation happened inside claimx.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    alignment: Alignment = Alignment.EXACT

    @model_validator(mode="after")
    def _consistent(self) -> Span:
        # (each field read once: pydantic runs this again for every span inside a result object)
        start, end, size = self.start, self.end, len(self.text)
        if end < start:
            raise ValueError(f"span end {end} is before its start {start}")
        if size != end - start:
            raise ValueError(f"span text has {size} characters but covers {end - start}")
        return self

    def verifies(self, source: str) -> bool:
        """True when the span's text is exactly the source between its offsets."""
        return self.end <= len(source) and source[self.start : self.end] == self.text

    def overlap(self, other: Span) -> int:
        """Number of characters this span shares with ``other``."""
        # (each field read once, no min/max calls: grounding and linking call this ~1,000
        # times per article, and a pydantic model's attribute costs more than a plain one's)
        start, end, other_start, other_end = self.start, self.end, other.start, other.end
        shared = (end if end < other_end else other_end) - (start if start > other_start else other_start)
        return shared if shared > 0 else 0


class Actor(_Model):
    """Someone (or something) that speaks or holds a position, with every mention of it."""

    id: str
    name: str
    kind: ActorKind = ActorKind.OTHER
    role: str | None = None
    affiliation: str | None = None
    mentions: list[Span] = Field(default_factory=list)


class Claim(_Model):
    """A proposition the article asserts, rewritten to stand alone."""

    id: str
    text: str = Field(description="The claim as a standalone sentence, pronouns resolved.")
    kind: ClaimKind = ClaimKind.OTHER
    evidence: list[Span] = Field(
        default_factory=list, description="The source sentence(s) that state the claim."
    )


class Attribution(_Model):
    """Who made a claim, how, with which cue, and which words carry it."""

    id: str
    claim_id: str
    speaker_id: str | None = Field(
        default=None, description="The speaking actor; None when the mode is 'author'."
    )
    mode: Mode
    cue: Span | None = None
    content: Span
    speaker_mention: Span | None = Field(
        default=None,
        description="The words that name the speaker at this statement ('he', 'Timonin').",
    )


class Position(_Model):
    """An actor's stance toward a target, and the claims that show it."""

    id: str
    holder_id: str | None = Field(
        default=None, description="The actor taking the stance; None for the article's own voice."
    )
    target: str
    target_actor_id: str | None = None
    stance: Stance
    claim_ids: list[str] = Field(default_factory=list)
    evidence: list[Span] = Field(default_factory=list)


class RejectionCode(StrEnum):
    """Why something the model returned was dropped: one code per rule, so they can be counted."""

    QUOTE_NOT_FOUND = "quote_not_found"
    QUOTE_ALTERED = "quote_altered"
    QUOTE_TOO_SHORT = "quote_too_short"
    QUOTE_IN_HEADER = "quote_in_header"
    SENTENCE_OUT_OF_RANGE = "sentence_out_of_range"
    CUE_NOT_NEAR_QUOTE = "cue_not_near_quote"
    SPEAKER_NOT_MENTIONED = "speaker_not_mentioned"
    SPEAKER_MISMATCH = "speaker_mismatch"
    CLAIM_UNFAITHFUL = "claim_unfaithful"
    ACTOR_NOT_IN_ARTICLE = "actor_not_in_article"
    DETAIL_NOT_IN_ARTICLE = "detail_not_in_article"
    HOLDER_NOT_MENTIONED = "holder_not_mentioned"
    POSITION_UNSUPPORTED = "position_unsupported"
    POSITION_NO_TARGET = "position_no_target"
    OTHER = "other"


class Rejected(_Model):
    """Something the model returned that could not be grounded in the article."""

    layer: str = Field(description="actor, mention, claim, attribution, cue or position")
    item: dict[str, Any]
    reason: str = Field(description="What was wrong, for a person to read.")
    code: RejectionCode = Field(
        default=RejectionCode.OTHER,
        description="What was wrong, as a code to count ('other' in results made before codes).",
    )


class Usage(_Model):
    """What producing an extraction cost."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    requests: int = Field(default=0, description="HTTP requests / model calls actually made.")
    transport_retries: int = Field(default=0, description="Calls repeated after 429/5xx/timeouts.")
    reasks: int = Field(default=0, description="Calls repeated because the output was invalid.")
    cached: bool = Field(default=False, description="True when served from the response cache.")
    cached_prompt_tokens: int = Field(
        default=0, description="Prompt tokens the provider read from its own prompt cache (billed less)."
    )
    cost_usd: float | None = Field(
        default=None,
        description="What the calls cost in US dollars (claimx.pricing); 0 for answers from the "
        "response cache (no call made); None when the model's price is unknown.",
    )

    def add(self, other: Usage) -> Usage:
        """The sum of two usages (``cached`` only when both were; the cost unknown when either is)."""
        cost = None if self.cost_usd is None or other.cost_usd is None else self.cost_usd + other.cost_usd
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            requests=self.requests + other.requests,
            transport_retries=self.transport_retries + other.transport_retries,
            reasks=self.reasks + other.reasks,
            cached=self.cached and other.cached,
            cached_prompt_tokens=self.cached_prompt_tokens + other.cached_prompt_tokens,
            cost_usd=None if cost is None else round(cost, 8),
        )


class Provenance(_Model):
    """What produced a result: the model, where it ran, the prompt and response schema, claimx's version.

    One record for every place that says so: an extraction's :class:`Meta`, an eval
    predictor's description and an eval run's header all are (or extend) this model,
    so the facts are never copied field by field.
    """

    model: str
    provider: str
    base_url: str | None = None
    prompt_id: str | None = None
    prompt_sha256: str | None = None
    response_schema_sha256: str | None = None
    claimx_version: str = __version__


class Meta(Provenance):
    """How an extraction was produced (its :class:`Provenance`) and what it cost."""

    # Every extraction names its prompt and response schema (a run's provenance may not).
    prompt_id: str
    prompt_sha256: str
    response_schema_sha256: str

    usage: Usage = Field(default_factory=Usage)
    latency_s: float = 0.0
    chunks: int = 1


#: The text an extraction's offsets index: the caller's string, or the main text of an HTML page.
TextFrom = Literal["text", "html"]


class DocumentMetadata(_Model):
    """What the document says about itself rather than about the world."""

    date: str | None = Field(default=None, description="ISO date found in a leading header.")
    dateline: Span | None = None
    header: Span | None = Field(default=None, description="Leading metadata text kept out of the statements.")
    language: str | None = None
    title: str | None = Field(default=None, description="The page's title (HTML input).")
    author: str | None = Field(default=None, description="The page's author (HTML input).")
    text_from: TextFrom = Field(
        default="text",
        description="Which text the offsets index: the text as given, or the main text extracted "
        "from an HTML page (then ``Extraction.text`` holds it, unless left out).",
    )
    html_extractor: str | None = Field(
        default=None, description="What extracted the text from HTML: 'trafilatura X.Y', or 'claimx'."
    )


class Extraction(_Model):
    """Everything claimx found in one document."""

    doc_id: str
    text_sha256: str
    text: str | None = Field(
        default=None, description="The text the offsets index (absent when the caller opts out)."
    )
    metadata: DocumentMetadata = Field(default_factory=DocumentMetadata)
    actors: list[Actor] = Field(default_factory=list)
    claims: list[Claim] = Field(default_factory=list)
    attributions: list[Attribution] = Field(default_factory=list)
    positions: list[Position] = Field(default_factory=list)
    rejected: list[Rejected] = Field(default_factory=list)
    meta: Meta

    def actor(self, actor_id: str | None) -> Actor | None:
        """The actor with this id, or None."""
        return next((a for a in self.actors if a.id == actor_id), None)

    def claim(self, claim_id: str) -> Claim | None:
        """The claim with this id, or None."""
        return next((c for c in self.claims if c.id == claim_id), None)

    def spans(self) -> list[Span]:
        """Every span in the extraction, in no particular order."""
        out: list[Span] = []
        for actor in self.actors:
            out.extend(actor.mentions)
        for claim in self.claims:
            out.extend(claim.evidence)
        for att in self.attributions:
            out.append(att.content)
            out.extend(s for s in (att.cue, att.speaker_mention) if s is not None)
        for pos in self.positions:
            out.extend(pos.evidence)
        if self.metadata.dateline is not None:
            out.append(self.metadata.dateline)
        if self.metadata.header is not None:
            out.append(self.metadata.header)
        return out

    def verify(self, source: str | None = None) -> list[str]:
        """Problems with the extraction against ``source`` (or its own text); empty when sound.

        Checks that every span verifies and that every id reference resolves.
        """
        text = source if source is not None else self.text
        if text is None:
            return ["no source text to verify against"]
        problems = [
            f"span {s.start}:{s.end} {s.text!r} does not match the source"
            for s in self.spans()
            if not s.verifies(text)
        ]
        actor_ids = {a.id for a in self.actors}
        claim_ids = {c.id for c in self.claims}
        for att in self.attributions:
            if att.claim_id not in claim_ids:
                problems.append(f"attribution {att.id} points to unknown claim {att.claim_id}")
            if att.speaker_id is not None and att.speaker_id not in actor_ids:
                problems.append(f"attribution {att.id} points to unknown actor {att.speaker_id}")
        for pos in self.positions:
            if pos.holder_id is not None and pos.holder_id not in actor_ids:
                problems.append(f"position {pos.id} points to unknown actor {pos.holder_id}")
            problems.extend(
                f"position {pos.id} points to unknown claim {cid}"
                for cid in pos.claim_ids
                if cid not in claim_ids
            )
        return problems


def extraction_json_schema() -> str:
    """The JSON Schema of :class:`Extraction`, as published to users."""
    return json.dumps(Extraction.model_json_schema(), indent=2, ensure_ascii=False)
