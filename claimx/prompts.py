"""Prompts as versioned files: ``prompts/NAME/vN.jinja`` plus few-shot examples as data.

A prompt is identified as ``NAME@vN`` and fingerprinted by the sha256 of every
file that shapes it (template and examples), so each result records exactly
which prompt produced it. Templates render with strict undefined variables, and
a few-shot example whose quotes are not in its own text fails at load time,
because a bad example teaches the model to invent.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from claimx.document import Document
from claimx.errors import PromptError
from claimx.examples import Example, load_examples
from claimx.response import AUTHOR

if TYPE_CHECKING:
    import jinja2

__all__ = ["DEFAULT_PROMPT", "Message", "Prompt", "list_prompts", "load_prompt", "prompts_dir"]

DEFAULT_PROMPT = "extract@v1"
Message = dict[str, str]
_VERSION = re.compile(r"^v(\d+)$")


def prompts_dir() -> Path:
    """Where prompt files live: ``$CLAIMX_PROMPTS_DIR``, the installed copy, or the checkout's."""
    env = os.environ.get("CLAIMX_PROMPTS_DIR")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    for candidate in (here / "_prompts", here.parent / "prompts"):
        if candidate.is_dir():
            return candidate
    raise PromptError("no prompts folder found; set CLAIMX_PROMPTS_DIR to the folder holding prompts/")


@dataclass(frozen=True)
class Prompt:
    """A loaded, validated prompt version."""

    name: str
    version: str
    sha256: str
    path: Path
    template: jinja2.Template
    examples: tuple[Example, ...]

    @property
    def id(self) -> str:
        """``NAME@vN``."""
        return f"{self.name}@{self.version}"

    @cached_property
    def _examples_context(self) -> list[dict[str, Any]]:
        # The same for every article: built once per prompt, not once per request.
        return [
            {
                "article": _article_context(ex.document, None),
                "output": ex.output.model_dump_json(indent=None, exclude_none=True),
            }
            for ex in self.examples
        ]

    def render(self, document: Document, sentences: Sequence[int] | None = None) -> list[Message]:
        """The chat messages for ``document`` (or only the given sentence numbers of it)."""
        context: dict[str, Any] = {
            "article": _article_context(document, sentences),
            "examples": self._examples_context,
            "author": AUTHOR,
        }
        messages: list[Message] = []
        import jinja2  # (loaded with the first prompt: an offline run renders none)

        try:
            # Blocks render apart from the template body, so hand them its macros explicitly.
            module = self.template.make_module(context)
            context.update({k: v for k, v in vars(module).items() if isinstance(v, jinja2.runtime.Macro)})
            for role in ("system", "user"):
                block = self.template.blocks.get(role)
                if block is None:
                    continue
                content = "".join(block(self.template.new_context(context))).strip()
                if content:
                    messages.append({"role": role, "content": content})
        except jinja2.UndefinedError as exc:
            raise PromptError(f"prompt {self.id}: {exc.message}") from exc
        if not any(m["role"] == "user" for m in messages):
            raise PromptError(f"prompt {self.id} has no 'user' block")
        return messages


def _delimiter(document: Document) -> str:
    """A tag the article cannot close: it is derived from the article's own hash."""
    tag = f"article-{document.sha256[:12]}"
    return tag if tag not in document.text else f"article-{document.sha256[12:40]}"


def _article_context(document: Document, numbers: Sequence[int] | None) -> dict[str, Any]:
    chosen = document.sentences if numbers is None else [document.sentences[n - 1] for n in numbers]
    return {
        "tag": _delimiter(document),
        "sentences": [{"label": s.label, "text": " ".join(s.text.split())} for s in chosen],
        "date": document.metadata.date,
        "dateline": document.metadata.dateline.text if document.metadata.dateline else None,
        "doc_id": document.doc_id,
    }


def _environment(folder: Path) -> jinja2.Environment:
    import jinja2  # (here, not at the top: the offline extractor and ``eval`` never load a prompt)

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _parse_id(prompt_id: str) -> tuple[str, str | None]:
    name, _, version = prompt_id.partition("@")
    return name.strip(), (version.strip() or None)


def _versions(folder: Path) -> list[str]:
    found = [p.stem for p in folder.glob("v*.jinja") if _VERSION.match(p.stem)]
    return sorted(found, key=lambda v: int(v[1:]))


def list_prompts(root: Path | None = None) -> dict[str, list[str]]:
    """Every prompt name and its versions, oldest first."""
    base = root or prompts_dir()
    return {d.name: _versions(d) for d in sorted(base.iterdir()) if d.is_dir() and _versions(d)}


def load_prompt(prompt_id: str = DEFAULT_PROMPT, root: Path | None = None) -> Prompt:
    """Load ``NAME@vN`` (or ``NAME`` for its latest version), validating its examples."""
    base = root or prompts_dir()
    return _load(prompt_id, base.resolve())


@lru_cache(maxsize=32)
def _load(prompt_id: str, base: Path) -> Prompt:
    name, version = _parse_id(prompt_id)
    folder = base / name
    if not folder.is_dir():
        known = ", ".join(list_prompts(base)) or "none"
        raise PromptError(f"unknown prompt {name!r} (known: {known})")
    versions = _versions(folder)
    if version is None:
        if not versions:
            raise PromptError(f"prompt {name!r} has no versions")
        version = versions[-1]
    path = folder / f"{version}.jinja"
    if not path.is_file():
        raise PromptError(f"unknown version {name}@{version} (known: {', '.join(versions) or 'none'})")
    examples_path = folder / f"{version}.examples.yaml"
    if not examples_path.is_file():
        examples_path = folder / "examples.yaml"
    digest = hashlib.sha256()
    digest.update(path.read_bytes())
    examples: tuple[Example, ...] = ()
    if examples_path.is_file():
        raw = examples_path.read_bytes()
        digest.update(b"\0examples\0" + raw)
        examples = load_examples(raw, f"{name}@{version}", examples_path)
    import jinja2

    try:
        template = _environment(folder).get_template(path.name)
    except jinja2.TemplateError as exc:
        raise PromptError(f"prompt {name}@{version} does not parse: {exc}") from exc
    return Prompt(name, version, digest.hexdigest(), path, template, examples)


def render_json(messages: list[Message]) -> str:
    """Messages as pretty JSON, for ``claimx prompts show``."""
    return json.dumps(messages, indent=2, ensure_ascii=False)
