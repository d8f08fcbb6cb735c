"""The schema the language model fills in: compact, verbatim, easy to get right.

This is not the public schema. The model cites sentence ids and copies words;
it never gives offsets or ids. ``claimx.link`` turns a :class:`Response` into an
:class:`~claimx.schema.Extraction`.

The response model is built per document: sentence ids are an enum of the
sentences that exist, so a backend with constrained decoding (OpenAI strict
schemas, llama.cpp grammars, vLLM, Ollama) cannot even produce a citation of a
sentence that is not in the article.
"""

from __future__ import annotations

import hashlib
import json
import weakref
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, StringConstraints, create_model
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import CoreSchema, core_schema

from claimx.schema import ActorKind, ClaimKind, Mode, Stance

__all__ = [
    "ActorItem",
    "OutputLimits",
    "PositionItem",
    "Response",
    "StatementItem",
    "as_response",
    "response_model_for",
    "response_schema_sha256",
]

AUTHOR = "author"


@dataclass(frozen=True)
class OutputLimits:
    """Caps on the size of the answer, for small models whose output must stay short."""

    max_actors: int | None = None
    max_statements: int | None = None
    max_positions: int | None = None
    max_text_chars: int | None = None
    #: Ask only for statements, with the fewest fields (sentence, quote, speaker, cue, mode).
    #: Speakers become actors when they are named in the text; claims keep the quoted words.
    #: For models too small to fill the full schema (every field costs generation time).
    compact: bool = False


class _Item(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class ActorItem(_Item):
    """An actor as the model reports it."""

    name: str = Field(description="Fullest name as written in the article.")
    kind: ActorKind = Field(description="person, organization, government, group, media or other.")
    role: str | None = Field(default=None, description="Title or function, e.g. 'ambassador'.")
    affiliation: str | None = Field(default=None, description="Organization or country it belongs to.")
    mentions: list[str] = Field(
        default_factory=list,
        description="Every other way the article refers to it, copied exactly: surname, title, pronouns.",
    )


class StatementItem(_Item):
    """One claim and its attribution, as the model reports it."""

    sentences: list[str] = Field(description="Ids of the sentence(s) the statement comes from.")
    quote: str = Field(description="The content, copied exactly from those sentences.")
    speaker: str | None = Field(
        description="Name of the speaking actor, 'author' for the article's own voice, or null when the "
        "words are attributed to no one named ('it was reported that', 'according to reports')."
    )
    speaker_words: str | None = Field(
        default=None, description="Words in the sentence that designate the speaker ('he', 'Timonin')."
    )
    cue: str | None = Field(default=None, description="Reporting verb or phrase ('said', 'according to').")
    mode: Mode = Field(description="direct, indirect, mixed or author.")
    claim: str = Field(default="", description="The proposition rewritten to stand alone, pronouns resolved.")
    kind: ClaimKind = Field(
        default=ClaimKind.OTHER, description="fact, opinion, prediction, commitment, hope or other."
    )


class PositionItem(_Item):
    """A stance, as the model reports it."""

    holder: str = Field(description="Name of the actor taking the stance, or 'author'.")
    target: str = Field(description="What the stance is about: a policy, actor, event or proposition.")
    stance: Stance = Field(description="support, oppose, neutral or mixed.")
    statements: list[int] = Field(
        default_factory=list, description="Numbers (1-based) of the statements that show the stance."
    )


class Response(_Item):
    """The whole answer for one article (or one chunk)."""

    actors: list[ActorItem] = Field(default_factory=list)
    statements: list[StatementItem] = Field(default_factory=list)
    positions: list[PositionItem] = Field(default_factory=list)

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Pydantic's JSON schema of the class, generated once per class and arguments.

        instructor asks for the schema on every request (to put it in the request), and
        generating it takes milliseconds for a response model of a hundred sentences; a
        response model never changes once built. Each call gets its own copy, as pydantic
        gives, since callers may change what they are given.
        """
        key = (cls, args, tuple(sorted(kwargs.items())))
        try:
            hash(key)
        except TypeError:  # (an argument that cannot key a cache: generated afresh)
            return super().model_json_schema(*args, **kwargs)
        copied: dict[str, Any] = json.loads(_schema_json(key))
        return copied


@lru_cache(maxsize=1024)
def _schema_json(key: tuple[type[Response], tuple[Any, ...], tuple[tuple[str, Any], ...]]) -> str:
    """The JSON text of a response class's schema (:meth:`Response.model_json_schema`'s cache)."""
    cls, args, kwargs = key
    return json.dumps(super(Response, cls).model_json_schema(*args, **dict(kwargs)), ensure_ascii=False)


@dataclass(frozen=True)
class OneOf:
    """``Annotated[str, OneOf(values)]``: pydantic's ``Literal[values]``, as one opaque marker.

    The very core schema pydantic builds for a ``Literal`` of strings, so validation, its
    error messages and the JSON schema are the same. What differs is what a walk over the
    type's arguments sees: two of them, not one per sentence of the article. instructor
    walks every response model so on each request (looking for async validators), and a
    ``Literal`` of a few hundred sentence ids made that walk cost more than the request.
    """

    values: tuple[str, ...]

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.literal_schema(list(self.values))


def _text(limits: OutputLimits | None) -> Any:
    if limits and limits.max_text_chars:
        return Annotated[str, StringConstraints(strip_whitespace=True, max_length=limits.max_text_chars)]
    return str


def _items(item: Any, cap: int | None) -> Any:
    return Annotated[list[item], Field(max_length=cap)] if cap else list[item]


@lru_cache(maxsize=256)
def response_model_for(
    first: int, last: int, limits: OutputLimits | None = None, speakers: tuple[str, ...] = ()
) -> type[Response]:
    """The response model for sentences ``first``…``last`` of a document.

    Sentence ids are the enum ``S<first>``…``S<last>``; ``limits`` bounds list and
    string lengths. In the compact schema, a non-empty ``speakers`` makes the
    speaker an enum of those names (names that occur in the text) and "author".
    Cached: every stretch with the same numbers and names shares one class.
    """
    labels = tuple(f"S{i}" for i in range(first, max(first, last) + 1))
    label: Any = Annotated[str, OneOf(labels)]
    text = _text(limits)
    speaker: Any = Literal[(*speakers, AUTHOR)] if speakers else str
    if limits is not None and limits.compact:
        compact = create_model(
            "Statement",
            __base__=_Item,
            sentences=(Annotated[list[label], Field(min_length=1, max_length=2)], ...),
            quote=(text, Field(description="Words copied exactly from the sentence.")),
            speaker=(speaker, Field(description="Who said it, or 'author'.")),
            cue=(str | None, Field(default=None, description="The reporting verb.")),
            mode=(Mode, ...),
        )
        return create_model(
            "Response",
            __base__=Response,
            actors=(SkipJsonSchema[list[ActorItem]], Field(default_factory=list)),
            statements=(_items(compact, limits.max_statements), ...),
            positions=(SkipJsonSchema[list[PositionItem]], Field(default_factory=list)),
        )
    statement = create_model(
        "Statement",
        __base__=StatementItem,
        sentences=(Annotated[list[label], Field(min_length=1, max_length=4)], ...),
        quote=(text, ...),
        claim=(text, ...),
    )
    actor = create_model("Actor", __base__=ActorItem, mentions=(_items(str, 8), Field(default_factory=list)))
    position = create_model("Position", __base__=PositionItem)
    cap = limits or OutputLimits()
    full = create_model(
        "Response",
        __base__=Response,
        actors=(_items(actor, cap.max_actors), ...),
        statements=(_items(statement, cap.max_statements), ...),
        positions=(_items(position, cap.max_positions), ...),
    )
    _FULL.add(full)
    return full


#: The full (not compact) response models built here: their answers already are Responses whose
#: items have every field of ``ActorItem``, ``StatementItem`` and ``PositionItem``, in order.
_FULL: weakref.WeakSet[type[Response]] = weakref.WeakSet()


def as_response(output: BaseModel) -> Response:
    """A model's validated answer as a full :class:`Response` (what grounding reads).

    An answer of a full response model (:func:`response_model_for` without ``compact``)
    already is one: its classes are subclasses with the same fields, in the same order, only
    narrower (sentence ids an enum, lengths capped), so dumping it and validating the dump
    again as a ``Response`` gives equal items, field for field, dumps included. That round
    trip cost about 0.4 ms and a thousand short-lived objects per 100-statement answer, so
    such an answer is used as it is. So is an answer of a subclass of a full model that adds
    no field of its own (instructor parses into ``instructor.response_schema(model)``, which
    only adds its methods). Any other answer (a compact model's, which lacks fields that the
    round trip fills with their defaults, or any other class) is read through
    ``Response.model_validate(output.model_dump())``, as before.
    """
    if isinstance(output, Response) and _is_full(type(output)):
        return output
    return Response.model_validate(output.model_dump())


def _is_full(cls: type[Response]) -> bool:
    """``cls`` is a full response model, or a subclass of one with the very same fields."""
    known = _FULL_KIN.get(cls)
    if known is None:
        full = next((c for c in cls.__mro__ if c in _FULL and issubclass(c, Response)), None)
        known = full is not None and (
            cls is full
            or (
                list(cls.model_fields) == list(full.model_fields)
                and all(
                    cls.model_fields[k].annotation is full.model_fields[k].annotation
                    for k in cls.model_fields
                )
            )
        )
        _FULL_KIN[cls] = known
    return known


#: What ``_is_full`` found for each class asked about (weakly: response models come and go).
_FULL_KIN: weakref.WeakKeyDictionary[type[Response], bool] = weakref.WeakKeyDictionary()


def response_schema_sha256(limits: OutputLimits | None = None) -> str:
    """A fingerprint of the response schema's shape (independent of the sentence count)."""
    schema = response_model_for(1, 1, limits).model_json_schema()
    return hashlib.sha256(json.dumps(schema, sort_keys=True).encode()).hexdigest()
