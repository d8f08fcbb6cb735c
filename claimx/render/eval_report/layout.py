"""The frame every section of the page shares."""

from __future__ import annotations

from claimx.render.htmlkit import attrs, esc


def section_html(id_: str, title: str, body: str) -> str:
    """A titled panel of the page, with an id the page's links and script find."""
    return f'<section class="panel"{attrs({"id": id_})}><h2>{esc(title)}</h2>{body}</section>'
