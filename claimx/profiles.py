"""What the extractor asks of a model: which prompt, and how large an answer.

A choice of the extractor, not of the backend: a backend says what the model is
(:attr:`~claimx.models.base.Model.small` for a model too small to fill the full
schema), and :func:`profile_for` turns that into a prompt and answer-size caps.
Pass ``ExtractOptions(profile=...)`` to choose another.
"""

from __future__ import annotations

from dataclasses import dataclass

from claimx.models.base import Model
from claimx.prompts import DEFAULT_PROMPT
from claimx.response import OutputLimits

__all__ = ["SMALL", "STANDARD", "Profile", "profile_for"]


@dataclass(frozen=True)
class Profile:
    """A prompt (``NAME@vN``) and the caps the response schema carries (None: no caps)."""

    prompt: str = DEFAULT_PROMPT
    limits: OutputLimits | None = None


#: The full schema and prompt, for any model that can fill them.
STANDARD = Profile()
#: For tiny models (the bundled one): statements only, few of them, so answers finish in seconds.
#: (String length caps are avoided: as llama.cpp grammars they slow sampling several-fold.)
SMALL = Profile(prompt="extract-small@v1", limits=OutputLimits(max_statements=4, compact=True))


def profile_for(model: Model) -> Profile:
    """The profile the extractor uses for ``model`` when none is given."""
    return SMALL if model.small else STANDARD
