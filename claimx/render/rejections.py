"""What each rejection took out of a result, in words: for the page and the terminal table.

A rejection drops different things: a quote that is not in the article takes its whole
statement out of the result, a cue that is not next to its quote only the cue (the
statement stays, without it). Readers need to know which, or "4 statements · 4 rejected"
reads as if everything was thrown out. Rejections are grouped by their reason code (the
``code`` a rejection carries, else one derived from its reason) and each gets one line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from claimx.schema import Attribution, Extraction, Rejected, RejectionCode

__all__ = ["RejectionEntry", "RejectionGroup", "dropped_counts", "group_rejections", "reason_code"]

#: Layer of a rejection → what it removed from the result (a noun, for counts).
_DROPPED = {
    "attribution": "statement",
    "claim": "statement",
    "statement": "statement",
    "cue": "cue",
    "speaker": "speaker",
    "mention": "mention",
    "actor": "actor",
    "position": "stance",
}
#: Codes that drop a part of an item rather than the item: what they drop, and what stays.
_PART_BY_CODE = {RejectionCode.DETAIL_NOT_IN_ARTICLE: "detail"}
#: A group's title when its rejections give different reasons (each then shows its own).
_TITLES = {
    RejectionCode.QUOTE_NOT_FOUND.value: "The quote is not in the article",
    RejectionCode.QUOTE_ALTERED.value: "Only a changed copy of the quote is in the article",
    RejectionCode.SENTENCE_OUT_OF_RANGE.value: "The quote is not found and its sentences do not exist",
    RejectionCode.CUE_NOT_NEAR_QUOTE.value: "The cue is not next to its quote",
    RejectionCode.SPEAKER_NOT_MENTIONED.value: "The speaker is not mentioned in the article",
    RejectionCode.SPEAKER_MISMATCH.value: "The article gives the speaker's title to someone else",
    RejectionCode.CLAIM_UNFAITHFUL.value: "The rewritten claim says what its evidence does not",
    RejectionCode.ACTOR_NOT_IN_ARTICLE.value: "The actor is not named in the article",
    RejectionCode.DETAIL_NOT_IN_ARTICLE.value: "A role or affiliation the article does not support",
    RejectionCode.POSITION_UNSUPPORTED.value: "A position without a grounded statement",
}
#: A dropped part → the thing that stays in the result without it.
_KEEPER = {"cue": "statement", "speaker": "statement", "mention": "statement", "detail": "actor"}
_QUOTED = re.compile(r"""\s*(?:'[^']*'|"[^"]*"|“[^”]*”)""")


def _noun(rejected: Rejected) -> str:
    part = _PART_BY_CODE.get(rejected.code)
    return part or _DROPPED.get(rejected.layer, rejected.layer)


def reason_code(rejected: Rejected) -> str:
    """The rejection's code; for results made before codes (``other``), a slug of its reason."""
    if rejected.code is not RejectionCode.OTHER:
        return rejected.code.value
    return "_".join(re.findall(r"[a-z0-9]+", _generic(rejected.reason).lower())) or "other"


def _generic(reason: str) -> str:
    """The reason without the quoted words that make each instance different."""
    return " ".join(_QUOTED.sub("", reason).split())


def _clip(text: object, limit: int = 140) -> str:
    words = " ".join(str(text).split())
    return words if len(words) <= limit else words[: limit - 1] + "…"


def _line(rejected: Rejected) -> str:
    """One readable line for what the model said."""
    item = rejected.item
    if "quote" in item:
        speaker = item.get("speaker") or "?"
        who = "the article" if speaker == "author" else str(speaker)
        cue = item.get("cue")
        if rejected.layer == "cue" and cue:
            return f"cue “{_clip(cue, 40)}” for “{_clip(item['quote'], 100)}” ({who})"
        said = f" · cue “{_clip(cue, 40)}”" if cue else ""
        return f"“{_clip(item['quote'])}” ({who}{said})"
    if "holder" in item or "target" in item:
        holder = item.get("holder") or "?"
        holder = "the article" if holder == "author" else holder
        return f"{holder} {item.get('stance', '?')} “{_clip(item.get('target', ''), 100)}”"
    if "name" in item:
        facts = ", ".join(str(item[k]) for k in ("kind", "role", "affiliation") if item.get(k))
        return f"{_clip(item['name'], 80)}" + (f" ({_clip(facts, 80)})" if facts else "")
    return _clip("; ".join(f"{k}: {v}" for k, v in item.items() if v not in (None, "", [])))


def _same_words(a: str, b: str) -> bool:
    def norm(text: str) -> str:
        return " ".join(text.split()).strip(" \"'“”‘’.,").lower()

    return bool(norm(a)) and norm(a) == norm(b)


def _kept_as(rejected: Rejected, attributions: list[Attribution]) -> str | None:
    """The statement a partial rejection left in the result, when it can be told."""
    quote = rejected.item.get("quote")
    if not isinstance(quote, str):
        return None
    return next((a.id for a in attributions if _same_words(a.content.text, quote)), None)


@dataclass(frozen=True)
class RejectionEntry:
    """One rejection and what it removed."""

    rejected: Rejected
    #: What it removed, in words ("statement dropped", "cue dropped; statement kept").
    dropped: str
    #: True when the statement it belongs to is still in the result (a cue or speaker dropped).
    statement_kept: bool
    #: The id of that statement (``Q3``), when it can be told.
    kept_as: str | None
    #: What the model said, as one readable line.
    line: str
    #: This rejection's own reason, when its group's title does not say it (the title of
    #: ``quote_altered`` cannot name the number of one quote and the word of another).
    detail: str | None = None

    @property
    def partial(self) -> bool:
        """True when only a part was dropped (a cue, a speaker, a role) and the rest stays."""
        return self.dropped.endswith(" kept")


@dataclass
class RejectionGroup:
    """Rejections with one reason code."""

    code: str
    #: The reason in words, without the specifics of each instance.
    title: str
    entries: list[RejectionEntry] = field(default_factory=list)


def group_rejections(result: Extraction) -> list[RejectionGroup]:
    """The result's rejections by reason code: whole statements first, then the larger groups."""
    groups: dict[str, RejectionGroup] = {}
    for rejected in result.rejected:
        code = reason_code(rejected)
        group = groups.setdefault(code, RejectionGroup(code, _generic(rejected.reason).capitalize()))
        noun = _noun(rejected)
        keeper = _KEEPER.get(noun)
        statement_kept = keeper == "statement"
        kept = _kept_as(rejected, result.attributions) if statement_kept else None
        dropped = f"{noun} dropped" + (f"; {keeper} kept" if keeper else "")
        group.entries.append(RejectionEntry(rejected, dropped, statement_kept, kept, _line(rejected)))
    for group in groups.values():
        if len({_generic(e.rejected.reason) for e in group.entries}) > 1:
            group.title = _TITLES.get(group.code, group.title)
            group.entries = [replace(e, detail=_generic(e.rejected.reason)) for e in group.entries]
    return sorted(
        groups.values(),
        key=lambda g: (all(e.partial for e in g.entries), -len(g.entries), g.code),
    )


def dropped_counts(result: Extraction) -> dict[str, int]:
    """How many of each thing the rejections removed ({"statement": 1, "cue": 3}), largest first."""
    counts: dict[str, int] = {}
    for rejected in result.rejected:
        noun = _noun(rejected)
        counts[noun] = counts.get(noun, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))
