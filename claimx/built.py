"""Result objects built from values claimx has just checked itself, without validating them again.

Grounding makes a few hundred spans per article and linking a few hundred claims,
attributions, positions and actors from them. Validating each again costs more than the
rest of its making (pydantic runs :class:`~claimx.schema.Span`'s consistency check again for
every span inside every object that holds it), yet every value is already of its declared
type and every span was cut from the article by the code making it. :func:`built` makes
the very object validation would (the same fields, set, equal, dumped alike: the tests
compare them field for field), for callers whose values are checked by construction;
:func:`text_span` is that for a span, checking its offsets, and validating (so raising as
ever) whenever they do not hold.
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel

from claimx.schema import Alignment, Span

__all__ = ["built", "text_span"]

_M = TypeVar("_M", bound=BaseModel)
_new = object.__new__
_set = object.__setattr__


@cache
def _fields(cls: type[BaseModel]) -> tuple[str, ...]:
    return tuple(cls.model_fields)


def built(cls: type[_M], fields: dict[str, Any]) -> _M:
    """``cls(**fields)``, unvalidated: ``fields`` must give every field, in order, of its type.

    Every field, in the declared order, is checked (a missing one would make an object
    validation never makes); the values' types are the caller's to vouch for (mypy's types
    and its own checks).
    """
    if tuple(fields) != _fields(cls):
        raise TypeError(f"{cls.__name__} needs exactly its fields {_fields(cls)}, got {tuple(fields)}")
    model = _new(cls)
    _set(model, "__dict__", fields)
    _set(model, "__pydantic_fields_set__", set(fields))
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model


_SPAN_FIELDS = _fields(Span)


def text_span(text: str, start: int, end: int, alignment: Alignment) -> Span:
    """The span of ``text[start:end]``; validated (raising as ever) unless ``0 <= start <= end <= len``."""
    if not 0 <= start <= end <= len(text) or type(alignment) is not Alignment:
        return Span(start=start, end=end, text=text[start:end], alignment=alignment)
    model = _new(Span)
    _set(model, "__dict__", {"start": start, "end": end, "text": text[start:end], "alignment": alignment})
    _set(model, "__pydantic_fields_set__", set(_SPAN_FIELDS))
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model
