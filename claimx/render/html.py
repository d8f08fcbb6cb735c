"""An extraction as one self-contained HTML page: the article with who said what highlighted.

Each statement's words are highlighted in its speaker's colour (the article's own voice in
grey), cues and speaker mentions are marked, and a click on a statement shows its claim, mode
and the stances it supports. A side panel lists the actors with their positions; below the
article come every statement in a table, the rejected items with their reasons, and how the
extraction was made. Without JavaScript the page still shows everything but the click-through.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable

from claimx.caveats import caveat
from claimx.pricing import format_usd
from claimx.render.htmlkit import Mark, assign_swatches, attrs, esc, marked_text, page
from claimx.render.rejections import RejectionGroup, dropped_counts, group_rejections
from claimx.schema import Actor, Attribution, Extraction, Mode, Position, Span

__all__ = ["extraction_html"]

AUTHOR = "(the article)"

# Nesting order for marks that cover the same characters: outer first.
_LAYER_HEADER, _LAYER_EVIDENCE, _LAYER_CONTENT, _LAYER_CUE, _LAYER_MENTION = range(5)

_CSS = """
.top{padding:1.1rem 1.5rem .9rem;background:var(--paper);border-bottom:1px solid var(--line)}
.top .sub{margin:0;color:var(--muted);font-size:.9rem}
.top .sub span+span::before{content:"·";margin:0 .45em;color:var(--line)}
.layout{display:grid;grid-template-columns:minmax(0,52rem) minmax(300px,400px);gap:1.2rem;
  padding:1.2rem 1.5rem;align-items:start;justify-content:center}
.side{position:sticky;top:.8rem;max-height:calc(100vh - 1.6rem);overflow:auto;display:grid;gap:1rem;
  padding-bottom:.2rem;min-width:0}
.side>*,.main-col{min-width:0}
.actor,.stmt{overflow-wrap:anywhere}
table.grid td{overflow-wrap:break-word}
table.grid td.nowrap{white-space:nowrap}
.actor .name>span:not(.chip):not(.count){min-width:0}
.wide{padding:0 1.5rem 1.2rem;max-width:calc(52rem + 400px + 4.2rem);margin:0 auto;display:grid;gap:1.2rem}
.wide>*{min-width:0}
@media (max-width:900px){.layout{grid-template-columns:minmax(0,1fr)}.side{position:static;max-height:none}
  .layout,.wide{padding-inline:.6rem}.top{padding-inline:.8rem}.text{padding:1rem 1.1rem}}
.hdr{color:var(--muted);font-family:var(--sans);font-size:.85em;letter-spacing:.02em}
.att{background:var(--bg);box-shadow:inset 0 -2px var(--bd);border-radius:3px;padding:.12em 0;
  cursor:pointer;-webkit-box-decoration-break:clone;box-decoration-break:clone}
.att.author{box-shadow:inset 0 -2px var(--bd);background-image:repeating-linear-gradient(135deg,
  transparent 0 6px,rgba(255,255,255,.55) 6px 9px)}
.att:not(.cont)::before{content:attr(data-tag);font:600 .62em/1 var(--sans);color:#fff;
  background:var(--bd);border-radius:3px;padding:.1em .3em;margin-inline-end:.25em;vertical-align:.35em;
  unicode-bidi:isolate}
.att:hover{filter:saturate(1.6) brightness(.97)}
.att:focus-visible{outline:2px solid var(--bd);outline-offset:1px}
.att.sel{outline:2px solid var(--bd);outline-offset:1px;filter:saturate(1.8)}
.cue{font-weight:700;color:var(--ink);text-decoration:underline 2px var(--bd);text-underline-offset:.22em}
.men{text-decoration:underline dotted 1.5px var(--bd);text-underline-offset:.25em}
.men.who{font-weight:650;color:var(--ink);text-decoration-style:solid}
.ev.on{background:hsl(50 100% 84%);border-radius:2px}
.text.focusing .att:not(.hl){background:transparent;box-shadow:none}
.text.focusing .att:not(.hl)::before{opacity:.25}
.text.focusing .cue:not(.hl),.text.focusing .men:not(.hl){color:inherit;text-decoration-color:transparent}
.hint{margin:0;color:var(--muted);font-size:.9rem}
.stmt{display:none}
.stmt.shown,.stmt:target{display:block}
#detail.has-card .hint{display:none}
.stmt .head{display:flex;gap:.5rem;align-items:center;flex-wrap:wrap;margin-bottom:.5rem}
.stmt .claim{font-size:1.05rem;margin:.1rem 0 .6rem;padding:.5rem .7rem;
  border-inline-start:4px solid var(--bd);background:var(--wash);border-radius:0 6px 6px 0}
.stmt blockquote{margin:.2rem 0 .6rem;font-family:var(--serif);color:var(--fg);max-height:9.5em;overflow:auto}
.stmt h4{margin:.7rem 0 .25rem;font-size:.72rem;text-transform:uppercase;letter-spacing:.06em;
  color:var(--muted)}
.stmt ul,.actor ul{margin:0;padding:0;list-style:none;display:grid;gap:.3rem}
.actors{display:grid;gap:.55rem}
.actor{border:1px solid var(--line);border-inline-start:5px solid var(--bd);border-radius:8px;
  padding:.5rem .7rem;background:var(--paper)}
.actor .name{display:flex;align-items:center;gap:.45rem;font-weight:650;cursor:pointer;
  background:none;border:0;padding:0;font:inherit;font-weight:650;color:var(--fg);text-align:start}
.actor .facts{font-size:.82rem;color:var(--muted);margin:.1rem 0 .3rem}
.actor.focus{box-shadow:0 0 0 2px var(--bd)}
.actor li,.stmt li{font-size:.88rem;display:flex;gap:.4rem;align-items:baseline}
.actor li.pos{cursor:pointer}
.count{margin-inline-start:auto;font-size:.75rem;color:var(--muted);font-weight:500;white-space:nowrap}
table.grid tr.row{cursor:pointer}
table.grid tr.row:hover td{background:var(--wash)}
table.grid tr.sel td{background:hsl(50 100% 92%)}
table.grid td.who{white-space:nowrap}
.stmts-wrap{max-height:70vh;overflow:auto}
details>summary{cursor:pointer;font-weight:600}
details>summary h2{display:inline}
.rej .kv{font-size:.85rem}
.rej h3{font-size:.95rem;margin:.9rem 0 .35rem;display:flex;gap:.5rem;align-items:baseline;flex-wrap:wrap}
.rej h3 code{font-weight:500;color:var(--muted)}
.rej ul.items{list-style:none;margin:0;padding:0;display:grid;gap:.35rem}
.rej li.item{border-inline-start:3px solid var(--line);padding:.15rem .6rem;overflow-wrap:anywhere}
.rej li.item.kept{border-inline-start-color:hsl(40 80% 60%)}
.rej .dropped{font-size:.8rem;font-weight:600;color:var(--muted);white-space:nowrap}
.rej details.raw>summary{font-weight:400;font-size:.8rem;color:var(--muted);display:inline}
.rej details.raw pre{font-size:.78rem;white-space:pre-wrap;overflow-wrap:anywhere;max-height:16em;
  overflow:auto;background:var(--wash);padding:.4rem .6rem;border-radius:6px;margin:.3rem 0 0}
.top a.rejected{color:inherit}
.caveat strong{font-weight:650}
.warn{background:hsl(40 100% 93%);border:1px solid hsl(40 80% 60%);border-radius:8px;padding:.5rem .8rem}
.meta-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:1rem}
"""

_SCRIPT = """
(function () {
  "use strict";
  var text = document.getElementById("text");
  var detail = document.getElementById("detail");
  function all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function has(el, name, token) { return (el.getAttribute(name) || "").split(" ").indexOf(token) >= 0; }
  function q(value) { return CSS.escape(value); }
  function clear(cls) { all("." + cls).forEach(function (el) { el.classList.remove(cls); }); }
  function showStatement(id, scroll) {
    var card = document.getElementById("card-" + id);
    if (!card) { return; }
    clear("shown"); clear("sel"); clear("on");
    card.classList.add("shown");
    detail.classList.add("has-card");
    all('[data-att="' + q(id) + '"]').forEach(function (el) { el.classList.add("sel"); });
    var claim = card.getAttribute("data-claim");
    all(".ev").forEach(function (el) { if (has(el, "data-claims", claim)) { el.classList.add("on"); } });
    var row = document.getElementById("row-" + id);
    if (row) { row.classList.add("sel"); }
    if (scroll) {
      var head = document.querySelector('.att[data-att="' + q(id) + '"]:not(.cont)');
      if (head) { head.scrollIntoView({block: "center", behavior: "smooth"}); }
    }
    detail.scrollIntoView({block: "nearest"});
    if (history.replaceState) { history.replaceState(null, "", "#" + id); }
  }
  function showPosition(id) {
    clear("on");
    all(".ev").forEach(function (el) { if (has(el, "data-positions", id)) { el.classList.add("on"); } });
    var first = document.querySelector(".ev.on");
    if (first) { first.scrollIntoView({block: "center", behavior: "smooth"}); }
  }
  function focusActor(id) {
    var already = text && text.getAttribute("data-focus") === id;
    clear("hl"); clear("focus");
    if (!text) { return; }
    if (already) { text.classList.remove("focusing"); text.removeAttribute("data-focus"); return; }
    text.classList.add("focusing");
    text.setAttribute("data-focus", id);
    all("[data-speaker]", text).forEach(function (el) {
      if (el.getAttribute("data-speaker") === id) { el.classList.add("hl"); }
    });
    all("[data-actor]", text).forEach(function (el) {
      if (el.getAttribute("data-actor") === id) { el.classList.add("hl"); }
    });
    all('.actor[data-actor="' + q(id) + '"]').forEach(function (el) { el.classList.add("focus"); });
  }
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) { return; }
    var att = target.closest(".att");
    if (att) { showStatement(att.getAttribute("data-att"), false); return; }
    var row = target.closest("tr.row");
    if (row) { event.preventDefault(); showStatement(row.getAttribute("data-att"), true); return; }
    var pos = target.closest("li.pos");
    if (pos) { showPosition(pos.getAttribute("data-position")); return; }
    var name = target.closest(".actor .name");
    if (name) { focusActor(name.closest(".actor").getAttribute("data-actor")); }
  });
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if ((event.key === "Enter" || event.key === " ") && target instanceof Element && target.matches(".att")) {
      event.preventDefault();
      showStatement(target.getAttribute("data-att"), false);
    }
  });
  var wanted = decodeURIComponent(location.hash.slice(1));
  if (/^[A-Za-z0-9_-]+$/.test(wanted)) { showStatement(wanted.replace(/^card-/, ""), true); }
  document.documentElement.setAttribute("data-ready", "1");
})();
"""


def _span_ref(span: Span) -> str:
    extra = "" if span.alignment.value == "exact" else f", {span.alignment.value}"
    return f'<span class="muted small mono">[{span.start}:{span.end}{esc(extra)}]</span>'


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _stance_badge(position: Position) -> str:
    return f'<span class="badge {esc(position.stance.value)}">{esc(position.stance.value)}</span>'


class _View:
    """Lookups and colours for one extraction, shared by the parts of the page."""

    def __init__(self, result: Extraction) -> None:
        self.result = result
        self.actors = {a.id: a for a in result.actors}
        self.claims = {c.id: c for c in result.claims}
        self.statements = Counter(a.speaker_id for a in result.attributions)
        speakers = [a.id for a in result.actors if self.statements[a.id]]
        others = [a.id for a in result.actors if not self.statements[a.id]]
        # Speakers get the palette first (most distinct colours), in the article's order.
        self.slots = assign_swatches(speakers + others)
        self.positions_by_claim: dict[str, list[Position]] = {}
        for pos in result.positions:
            for cid in pos.claim_ids:
                self.positions_by_claim.setdefault(cid, []).append(pos)

    def colour(self, actor_id: str | None) -> str:
        return "cn" if actor_id is None or actor_id not in self.slots else f"c{self.slots[actor_id]}"

    def name(self, actor_id: str | None) -> str:
        actor = self.actors.get(actor_id or "")
        return actor.name if actor else AUTHOR

    def chip(self, actor_id: str | None) -> str:
        return f'<span class="chip {self.colour(actor_id)}"></span>'


def _marks(view: _View) -> list[Mark]:
    result = view.result
    marks: list[Mark] = []
    if result.metadata.header is not None:
        marks.append(
            Mark(result.metadata.header.start, result.metadata.header.end, "hdr", layer=_LAYER_HEADER)
        )

    evidence: dict[tuple[int, int], tuple[list[str], list[str]]] = {}
    for claim in result.claims:
        for span in claim.evidence:
            evidence.setdefault((span.start, span.end), ([], []))[0].append(claim.id)
    for pos in result.positions:
        for span in pos.evidence:
            evidence.setdefault((span.start, span.end), ([], []))[1].append(pos.id)
    for (start, end), (claim_ids, position_ids) in evidence.items():
        marks.append(
            Mark(
                start,
                end,
                "ev",
                {
                    "data-claims": " ".join(claim_ids) or None,
                    "data-positions": " ".join(position_ids) or None,
                },
                layer=_LAYER_EVIDENCE,
            )
        )

    cues: dict[tuple[int, int], list[Attribution]] = {}
    for att in result.attributions:
        stated = view.claims.get(att.claim_id)
        who = view.name(att.speaker_id)
        tip = f"{att.id} · {who} · {att.mode.value}" + (f"\n{stated.text}" if stated else "")
        classes = f"att {view.colour(att.speaker_id)}" + (" author" if att.mode is Mode.AUTHOR else "")
        marks.append(
            Mark(
                att.content.start,
                att.content.end,
                classes,
                {
                    "data-att": att.id,
                    "data-speaker": att.speaker_id or "",
                    "title": tip,
                },
                layer=_LAYER_CONTENT,
                first_attributes={"data-tag": att.id, "tabindex": "0", "role": "button"},
            )
        )
        if att.cue is not None:
            cues.setdefault((att.cue.start, att.cue.end), []).append(att)
    for (start, end), atts in cues.items():
        speaker = atts[0].speaker_id
        marks.append(
            Mark(
                start,
                end,
                f"cue {view.colour(speaker)}",
                {
                    "data-atts": " ".join(a.id for a in atts),
                    "data-speaker": speaker or "",
                    "title": f"cue of {', '.join(a.id for a in atts)}",
                },
                layer=_LAYER_CUE,
            )
        )

    named = {
        (att.speaker_mention.start, att.speaker_mention.end, att.speaker_id)
        for att in result.attributions
        if att.speaker_mention is not None
    }
    seen: set[tuple[int, int, str | None]] = set()
    for actor in result.actors:
        for span in actor.mentions:
            key = (span.start, span.end, actor.id)
            if key not in seen:
                seen.add(key)
                classes = f"men {view.colour(actor.id)}" + (" who" if key in named else "")
                marks.append(
                    Mark(
                        span.start,
                        span.end,
                        classes,
                        {"data-actor": actor.id, "title": actor.name},
                        layer=_LAYER_MENTION,
                    )
                )
    for start, end, actor_id in sorted(named - seen, key=lambda k: (k[0], k[1])):
        marks.append(
            Mark(
                start,
                end,
                f"men who {view.colour(actor_id)}",
                {"data-actor": actor_id or "", "title": view.name(actor_id)},
                layer=_LAYER_MENTION,
            )
        )
    return marks


def _header(view: _View, text: str | None) -> str:
    result = view.result
    facts: list[str] = []
    if result.metadata.date:
        facts.append(f"<span>{esc(result.metadata.date)}</span>")
    if result.metadata.dateline is not None:
        facts.append(f'<span dir="auto">{esc(result.metadata.dateline.text)}</span>')
    speakers = sum(1 for a in result.actors if view.statements[a.id])
    facts.extend(
        f"<span>{_count(n, label)}</span>"
        for n, label in (
            (len(result.attributions), "statement"),
            (speakers, "speaker"),
            (len(result.actors), "actor"),
            (len(result.claims), "claim"),
            (len(result.positions), "position"),
        )
    )
    dropped = dropped_counts(result)
    if dropped:
        listed = ", ".join(_count(n, noun) for noun, n in dropped.items())
        facts.append(f'<span><a class="rejected" href="#rejected">not grounded: {esc(listed)}</a></span>')
    facts.append(f'<span class="made-by">made by <strong>{esc(result.meta.model)}</strong></span>')
    warning = _caveat(result)
    if text is None:
        warning += (
            '<p class="warn">This result was saved without its text (<code>--no-text</code>): '
            "pass the article with <code>--text</code> to see it highlighted.</p>"
        )
    else:
        problems = result.verify(text)
        if problems:
            warning += (
                f'<p class="warn">{len(problems)} span(s) do not match the text; highlights may be '
                f"misplaced. First: {esc(problems[0])}</p>"
            )
    heading = _heading(result, text)
    if heading != result.doc_id:
        facts.insert(0, f'<span class="mono">{esc(result.doc_id)}</span>')
    return (
        f'<header class="top"><h1 dir="auto">{esc(heading)}</h1>'
        f'<p class="sub">{"".join(facts)}</p>{warning}</header>'
    )


def _caveat(result: Extraction) -> str:
    """A visible warning when a demonstration model or a no-LLM extractor made the result."""
    found = caveat(result.meta.model)
    if found is None:
        return ""
    return (
        f'<p class="warn caveat" id="caveat"><strong>Made by {esc(found.kind)}:</strong> '
        f"{esc(found.text)}</p>"
    )


_SENTENCE_END = re.compile(r"[.!?:;]\W*$")


def _clip_words(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def _headline(result: Extraction, text: str) -> str | None:
    """The article's headline: a short first line without closing punctuation, before the body."""
    start = result.metadata.header.end if result.metadata.header is not None else 0
    lines = [line.strip() for line in text[start:].splitlines()]
    lines = [line for line in lines if line]
    if len(lines) < 2:
        return None
    first = lines[0]
    if len(first) > 160 or len(first.split()) < 2 or _SENTENCE_END.search(first):
        return None
    return first


def _heading(result: Extraction, text: str | None) -> str:
    """What the page is called: its title or headline, else dateline and lead, else the id."""
    if result.metadata.title:
        return _clip_words(result.metadata.title, 160)
    if text is not None:
        headline = _headline(result, text)
        if headline is not None:
            return _clip_words(headline, 160)
    dateline = result.metadata.dateline
    if dateline is not None:
        lead = _clip_words(text[dateline.end :].split("\n", 1)[0], 70) if text is not None else ""
        return _clip_words(f"{dateline.text} {lead}", 120)
    return result.doc_id


def _statement_card(view: _View, att: Attribution) -> str:
    claim = view.claims.get(att.claim_id)
    colour = view.colour(att.speaker_id)
    parts = [
        f'<div class="stmt {colour}"{attrs({"id": f"card-{att.id}", "data-claim": att.claim_id})}>',
        f'<div class="head">{view.chip(att.speaker_id)}'
        f'<strong dir="auto">{esc(view.name(att.speaker_id))}</strong>'
        f'<span class="badge plain">{esc(att.mode.value)}</span>'
        f'<span class="count mono">{esc(att.id)} · {esc(att.claim_id)}'
        f"{' · ' + esc(claim.kind.value) if claim else ''}</span></div>",
    ]
    if claim is not None:
        parts.append(f'<p class="claim" dir="auto">{esc(claim.text)}</p>')
    parts.append(f"<h4>Words in the article {_span_ref(att.content)}</h4>")
    parts.append(f'<blockquote dir="auto">“{esc(att.content.text)}”</blockquote>')
    said: list[str] = []
    if att.cue is not None:
        said.append(f'<li>cue <strong dir="auto">{esc(att.cue.text)}</strong> {_span_ref(att.cue)}</li>')
    if att.speaker_mention is not None:
        said.append(
            f'<li>speaker named as <strong dir="auto">{esc(att.speaker_mention.text)}</strong> '
            f"{_span_ref(att.speaker_mention)}</li>"
        )
    if said:
        parts.append(f"<ul>{''.join(said)}</ul>")
    positions = view.positions_by_claim.get(att.claim_id, [])
    parts.append("<h4>Stances it supports</h4>")
    if positions:
        items = []
        for pos in positions:
            holder = (
                ""
                if pos.holder_id == att.speaker_id
                else f' <span class="muted">({esc(view.name(pos.holder_id))})</span>'
            )
            items.append(
                f'<li class="pos"{attrs({"data-position": pos.id})}>{_stance_badge(pos)}'
                f'<span dir="auto">{esc(pos.target)}</span>{holder}'
                f'<span class="count mono">{esc(pos.id)}</span></li>'
            )
        parts.append(f"<ul>{''.join(items)}</ul>")
    else:
        parts.append('<p class="hint">none recorded</p>')
    if claim is not None and claim.evidence:
        parts.append('<p class="hint small">The claim’s evidence is shaded yellow in the article.</p>')
    parts.append("</div>")
    return "".join(parts)


def _actor_card(view: _View, actor: Actor | None, positions: list[Position]) -> str:
    actor_id = actor.id if actor else None
    n = view.statements[actor_id]
    facts = []
    if actor is not None:
        facts.append(esc(actor.kind.value))
        facts.extend(f'<span dir="auto">{esc(x)}</span>' for x in (actor.role, actor.affiliation) if x)
        facts.append(_count(len(actor.mentions), "mention"))
    else:
        facts.append("the article’s own voice")
    items = []
    for pos in positions:
        target_actor = view.actors.get(pos.target_actor_id or "")
        about = f' <span class="muted">→ {esc(target_actor.name)}</span>' if target_actor else ""
        items.append(
            f'<li class="pos"{attrs({"data-position": pos.id, "title": "show the evidence in the article"})}>'
            f'{_stance_badge(pos)}<span dir="auto">{esc(pos.target)}</span>{about}'
            f'<span class="count mono">{esc(pos.id)}</span></li>'
        )
    return (
        f'<div class="actor {view.colour(actor_id)}"{attrs({"data-actor": actor_id or ""})}>'
        f'<button type="button" class="name" title="show only this speaker’s statements">'
        f"{view.chip(actor_id)}"
        f'<span dir="auto">{esc(actor.name if actor else AUTHOR)}</span>'
        f'<span class="count">{_count(n, "statement")}</span></button>'
        f'<div class="facts">{" · ".join(facts)}</div>'
        f"{'<ul>' + ''.join(items) + '</ul>' if items else ''}</div>"
    )


def _actors_panel(view: _View) -> str:
    result = view.result
    by_holder: dict[str | None, list[Position]] = {}
    for pos in result.positions:
        by_holder.setdefault(pos.holder_id, []).append(pos)
    order = sorted(result.actors, key=lambda a: (-view.statements[a.id], -len(by_holder.get(a.id, []))))
    cards = [_actor_card(view, actor, by_holder.get(actor.id, [])) for actor in order]
    if view.statements[None] or by_holder.get(None):
        cards.append(_actor_card(view, None, by_holder.get(None, [])))
    body = "".join(cards) if cards else '<p class="hint">No actors.</p>'
    found = caveat(result.meta.model)
    hint = (
        f'<p class="hint caveat-hint">Found by {esc(found.kind)}: check each against the article.</p>'
        if found
        else ""
    )
    return (
        f'<section class="panel" id="actors"><h2>Actors</h2>{hint}<div class="actors">{body}</div></section>'
    )


def _statements_table(view: _View) -> str:
    rows = []
    for att in view.result.attributions:
        claim = view.claims.get(att.claim_id)
        stances = "".join(
            f'<div>{_stance_badge(p)} <span dir="auto">{esc(p.target)}</span></div>'
            for p in view.positions_by_claim.get(att.claim_id, [])
        )
        rows.append(
            f'<tr class="row"{attrs({"id": f"row-{att.id}", "data-att": att.id})}>'
            f'<td class="mono"><a href="#card-{esc(att.id)}">{esc(att.id)}</a></td>'
            f'<td class="who">{view.chip(att.speaker_id)} '
            f'<span dir="auto">{esc(view.name(att.speaker_id))}</span></td>'
            f'<td class="nowrap">{esc(att.mode.value)}</td>'
            f'<td dir="auto">{esc(att.cue.text) if att.cue else ""}</td>'
            f'<td dir="auto">{esc(claim.text) if claim else ""}</td>'
            f"<td>{stances}</td></tr>"
        )
    if not rows:
        return (
            '<section class="panel" id="statements"><h2>Statements</h2>'
            '<p class="hint">None found.</p></section>'
        )
    return (
        '<section class="panel" id="statements"><details open><summary><h2>Statements</h2> '
        f'<span class="muted small">{len(rows)}, in the article’s order; click a row to find it</span>'
        '</summary><div class="stmts-wrap"><table class="grid"><thead><tr><th>#</th><th>Speaker</th>'
        "<th>Mode</th><th>Cue</th><th>Claim</th><th>Stances</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div></details></section>"
    )


def _raw(item: dict[str, object]) -> str:
    shown = json.dumps(item, ensure_ascii=False, indent=1)
    return shown if len(shown) <= 4000 else shown[:3999] + "…"


def _rejection_group(group: RejectionGroup) -> str:
    items = []
    for entry in group.entries:
        kept = f' <a href="#card-{esc(entry.kept_as)}">{esc(entry.kept_as)}</a>' if entry.kept_as else ""
        items.append(
            f'<li class="item{" kept" if entry.partial else ""}">'
            f'<span class="dropped">{esc(entry.dropped)}</span>{kept} '
            f'<span dir="auto">{esc(entry.line)}</span> '
            + (f'<span class="why" dir="auto">({esc(entry.detail)})</span> ' if entry.detail else "")
            + f'<details class="raw"><summary>what the model said</summary><pre dir="auto">'
            f"{esc(_raw(entry.rejected.item))}</pre></details></li>"
        )
    return (
        f'<div class="group"{attrs({"data-code": group.code})}>'
        f'<h3><span dir="auto">{esc(group.title)}</span> <code>{esc(group.code)}</code>'
        f'<span class="count">{len(group.entries)}</span></h3>'
        f'<ul class="items">{"".join(items)}</ul></div>'
    )


def _rejected(view: _View) -> str:
    result = view.result
    if not result.rejected:
        return (
            '<section class="panel rej" id="rejected"><h2>Rejected</h2>'
            '<p class="hint">Nothing: everything the model returned was found in the article.</p></section>'
        )
    groups = group_rejections(result)
    dropped = ", ".join(_count(n, noun) for noun, n in dropped_counts(result).items())
    return (
        '<section class="panel rej" id="rejected"><h2>Rejected</h2>'
        f'<p class="hint">What the model returned that the article does not bear out ({esc(dropped)}), '
        "grouped by reason. A rejected statement is not in the result; a rejected cue, speaker or "
        "mention leaves its statement in the result without it.</p>"
        f"{''.join(_rejection_group(g) for g in groups)}</section>"
    )


def _dl(pairs: Iterable[tuple[str, object]]) -> str:
    rows = "".join(
        f'<dt>{esc(k)}</dt><dd dir="auto">{esc(v)}</dd>' for k, v in pairs if v is not None and v != ""
    )
    return f'<dl class="kv">{rows}</dl>'


def _cost(cost_usd: float | None) -> str:
    return format_usd(cost_usd) if cost_usd is not None else "unknown (no price for this model)"


def _meta(view: _View) -> str:
    result = view.result
    meta, usage, md = result.meta, result.meta.usage, result.metadata
    document = _dl(
        [
            ("document", result.doc_id),
            ("date", md.date),
            ("dateline", md.dateline.text if md.dateline else None),
            ("header", md.header.text if md.header else None),
            ("language", md.language),
            ("text sha256", result.text_sha256),
        ]
    )
    made = _dl(
        [
            ("model", meta.model),
            ("provider", meta.provider),
            ("base URL", meta.base_url),
            ("prompt", meta.prompt_id),
            ("prompt sha256", meta.prompt_sha256[:16] + "…"),
            ("schema sha256", meta.response_schema_sha256[:16] + "…"),
            ("claimx", meta.claimx_version),
            ("latency", f"{meta.latency_s:.2f} s"),
            ("chunks", meta.chunks),
        ]
    )
    cost = _dl(
        [
            ("prompt tokens", usage.prompt_tokens),
            ("completion tokens", usage.completion_tokens),
            ("total tokens", usage.total_tokens),
            ("requests", usage.requests),
            ("transport retries", usage.transport_retries),
            ("re-asks", usage.reasks),
            ("from cache", "yes (no call: costs nothing)" if usage.cached else "no"),
            ("cost", _cost(usage.cost_usd)),
        ]
    )
    return (
        '<section class="panel" id="meta"><h2>How it was made</h2><div class="meta-grid">'
        f"<div><h3>Document</h3>{document}</div><div><h3>Extraction</h3>{made}</div>"
        f"<div><h3>Usage</h3>{cost}</div></div></section>"
    )


def extraction_html(result: Extraction, text: str | None = None, *, title: str | None = None) -> str:
    """The extraction as a self-contained HTML page.

    ``text`` is the article the offsets index; by default the one the result carries. Spans are
    rendered from their offsets (never by searching the text), and everything is escaped.
    """
    source = text if text is not None else result.text
    view = _View(result)
    if source is not None:
        language = result.metadata.language
        article = (
            f'<article id="text" class="text"{attrs({"lang": language})}>'
            f"{marked_text(source, _marks(view))}</article>"
        )
    else:
        article = '<p class="hint">No article text to show.</p>'
    cards = "".join(_statement_card(view, att) for att in result.attributions)
    detail = (
        '<section class="panel" id="detail"><h2>Statement</h2>'
        '<p class="hint">Click a highlighted passage (or a row of the table) to see its claim, '
        f"mode and the stances it supports.</p>{cards}</section>"
    )
    body = (
        f"{_header(view, source)}"
        f'<main class="layout"><div class="main-col">{article}</div>'
        f'<aside class="side">{detail}{_actors_panel(view)}</aside></main>'
        f'<div class="wide">{_statements_table(view)}{_rejected(view)}{_meta(view)}</div>'
    )
    return page(
        title=title or f"{_heading(result, source)} · claimx",
        body=body,
        css=_CSS,
        script=_SCRIPT,
        lang=result.metadata.language,
    )
