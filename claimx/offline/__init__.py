"""``offline``: a fast, deterministic extractor with no language model.

A linear-chain CRF trained on PolNeAR's 840 training articles tags every token
source, cue, content or nothing (:mod:`claimx.offline.tagger`); a trained ranker
pairs each content run with a cue and a source, or nobody (:mod:`claimx.offline.pairing`,
:mod:`claimx.offline.assemble`), sources
resolved to speakers (pronouns and descriptions to the nearest compatible actor
named before them, :mod:`claimx.offline.speakers`), and stance verbs give
positions (:mod:`claimx.offline.stances`). The result is the model-facing
:class:`~claimx.response.Response`, which goes through the same grounding and
linking as a model's answer: claims are the content spans as written, never
rewrites. Run it as any model: ``claimx.extract(text, model="offline")`` (the
extractor reads the document through :class:`~claimx.models.rules.RulesModel`).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from claimx.document import Document
from claimx.offline.assemble import assemble as _assemble  # (as ``assemble`` it hid the module)
from claimx.offline.assemble import find_attributions
from claimx.offline.pairing import MODEL_PATH as PAIRING_MODEL_PATH
from claimx.offline.stance_pairs import MODEL_PATH as STANCE_MODEL_PATH
from claimx.offline.stances import find_positions
from claimx.offline.tagger import MODEL_PATH, tag_text
from claimx.response import AUTHOR, ActorItem, Response
from claimx.rules import RuleExtractor
from claimx.schema import ActorKind

__all__ = ["OFFLINE", "OFFLINE_ID", "OFFLINE_NOTE", "offline_response", "offline_sha256"]

OFFLINE_ID = "offline@v1"
OFFLINE_NOTE = (
    "it finds quotes and reported speech with their speakers and cues (a tagger trained on news "
    "attributions), and positions from a pair model trained on news stances; it misses what needs "
    "understanding (implicit speakers, stances without an evaluative word). For LLM quality set "
    "OPENAI_API_KEY, point --base-url at an OpenAI-compatible server, or use --model "
    "local:PATH.gguf (pip install 'claimx[local]')"
)


@lru_cache(maxsize=1)
def offline_sha256() -> str:
    """A fingerprint of the rules and the trained model: results say which they came from."""
    digest = hashlib.sha256(OFFLINE_ID.encode())
    for path in (MODEL_PATH, STANCE_MODEL_PATH, PAIRING_MODEL_PATH):  # (a missing file adds nothing)
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()


def offline_response(document: Document) -> Response:
    """What the offline extractor finds in a document, in the model-facing response schema."""
    attributions = find_attributions(tag_text(document.text), document)
    statements, actors, speakers = _assemble(attributions, document)
    positions = find_positions(document, statements, speakers)
    positions = [p.model_copy(update={"holder": _speaker_named(p.holder, actors)}) for p in positions]
    named = {a.name for a in actors}
    for holder in dict.fromkeys(p.holder for p in positions):
        if holder not in named and holder != AUTHOR:  # (the linker resolves holders among listed actors)
            actors.append(ActorItem(name=holder, kind=ActorKind.OTHER))
    return Response(actors=actors, statements=statements, positions=positions)


def _speaker_named(holder: str, actors: list[ActorItem]) -> str:
    """The speaker a holder's words name ("President Obama": "Obama"), else the words.

    A second actor for the same person would take the speaker's own mentions from it.
    """
    last = holder.split()[-1].lower() if holder.split() else ""
    for actor in actors:
        names = [actor.name, *actor.mentions]
        if holder in names:
            return actor.name
        person = actor.kind is ActorKind.PERSON or len(actor.name.split()) == 1
        if person and any(n.split() and n.split()[-1].lower() == last for n in names):
            return actor.name
    return holder


OFFLINE = RuleExtractor(
    name="offline",
    version=OFFLINE_ID,
    sha256=offline_sha256(),
    read=offline_response,
    note=OFFLINE_NOTE,
    method="a trained tagger and rules",
)
