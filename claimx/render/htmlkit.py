"""Building blocks for claimx's self-contained HTML pages.

Every page claimx writes is one file that travels alone: inline CSS, a little
inline JavaScript, inline SVG, no network (a Content-Security-Policy forbids
it, so even a mistake cannot fetch anything). Article text is hostile input:
everything that reaches the page goes through :func:`esc`, and highlighted
text is built by :func:`marked_text`, which splits the text at span boundaries
instead of searching and replacing in it.

The pieces here are shared by the extraction view and the evaluation report:
escaping, the speaker palette, the page shell, the marked-text renderer and an
SVG bar chart.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = [
    "BASE_CSS",
    "NEUTRAL",
    "PALETTE",
    "Bar",
    "Mark",
    "Swatch",
    "assign_swatches",
    "attrs",
    "bar_chart",
    "block_separators",
    "esc",
    "marked_text",
    "page",
    "palette_css",
]

_UNSAFE = re.compile(r"[\x00\r\ud800-\udfff]")


def _safe_char(match: re.Match[str]) -> str:
    char = match.group()
    # A carriage return would be turned into a newline by the HTML parser; keep it as itself.
    # NUL and lone surrogates cannot be written as UTF-8 HTML: one replacement character each,
    # so the text keeps its length and every later offset still lines up.
    return "&#13;" if char == "\r" else "\ufffd"


def esc(value: object) -> str:
    """``value`` as text that is safe inside HTML content and quoted attribute values."""
    return _UNSAFE.sub(_safe_char, html.escape(str(value), quote=True))


def attrs(values: Mapping[str, str | int | float | bool | None]) -> str:
    """HTML attributes (with a leading space) from a mapping; None and False are left out."""
    out: list[str] = []
    for name, value in values.items():
        if value is None or value is False:
            continue
        if not re.fullmatch(r"[a-zA-Z][a-zA-Z0-9_:-]*", name):
            raise ValueError(f"not an attribute name: {name!r}")
        out.append(f" {name}" if value is True else f' {name}="{esc(value)}"')
    return "".join(out)


# --- colours ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Swatch:
    """A speaker's colours: a light background, a border/accent and a dark ink for text on white."""

    bg: str
    border: str
    ink: str


def _swatch(hue: int, sat: int = 80) -> Swatch:
    return Swatch(
        bg=f"hsl({hue} {sat}% 89%)", border=f"hsl({hue} {sat - 15}% 45%)", ink=f"hsl({hue} 70% 28%)"
    )


# Twelve hues ordered so that neighbours in the list are far apart on the colour wheel: the first
# speakers of an article (the ones that matter most) get the most distinct colours.
PALETTE: tuple[Swatch, ...] = tuple(
    _swatch(h, s)
    for h, s in (
        (211, 85),  # blue
        (27, 90),  # orange
        (140, 55),  # green
        (338, 75),  # rose
        (268, 60),  # violet
        (48, 95),  # amber
        (183, 70),  # teal
        (12, 70),  # brick
        (300, 50),  # plum
        (90, 55),  # olive
        (232, 60),  # indigo
        (160, 60),  # jade
    )
)
NEUTRAL = Swatch(bg="hsl(215 16% 92%)", border="hsl(215 12% 55%)", ink="hsl(215 15% 30%)")


def assign_swatches(keys: Iterable[str]) -> dict[str, int]:
    """A palette slot per key, in the order given (slots repeat after :data:`PALETTE` runs out).

    Deterministic: the same keys in the same order always get the same colours.
    """
    slots: dict[str, int] = {}
    for key in keys:
        if key not in slots:
            slots[key] = len(slots) % len(PALETTE)
    return slots


def palette_css() -> str:
    """CSS classes ``.c0`` … ``.c11`` and ``.cn`` (neutral) that set ``--bg``, ``--bd`` and ``--ink``."""
    rules = [f".c{i}{{--bg:{s.bg};--bd:{s.border};--ink:{s.ink}}}" for i, s in enumerate(PALETTE)]
    rules.append(f".cn{{--bg:{NEUTRAL.bg};--bd:{NEUTRAL.border};--ink:{NEUTRAL.ink}}}")
    return "\n".join(rules)


# --- page shell ---------------------------------------------------------------------------------

BASE_CSS = """
*,*::before,*::after{box-sizing:border-box}
:root{--fg:#1d2430;--muted:#5d6778;--line:#dde2ea;--paper:#ffffff;--wash:#f5f7fa;
  --support:#1f7a3d;--oppose:#b42323;--neutral:#8a6d00;--mixed:#7a3a9a;
  --sans:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Liberation Sans","DejaVu Sans",
    "Noto Sans Arabic","Noto Sans Hebrew","Noto Sans CJK SC","PingFang SC","Hiragino Sans",
    "Microsoft YaHei",sans-serif;
  --serif:Charter,"Bitstream Charter","Noto Serif","Liberation Serif","DejaVu Serif",Georgia,
    "Noto Naskh Arabic","Noto Serif Hebrew","Noto Serif CJK SC","Songti SC",serif;
  --mono:ui-monospace,"SFMono-Regular","DejaVu Sans Mono","Liberation Mono",monospace}
html{background:var(--wash);color:var(--fg);font:15px/1.5 var(--sans)}
body{margin:0}
h1{font-size:1.35rem;margin:0 0 .2rem;overflow-wrap:anywhere}
h2{font-size:1rem;margin:0 0 .6rem;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}
h3{font-size:1rem;margin:0}
a{color:inherit}
code,.mono{font-family:var(--mono);font-size:.85em}
.muted{color:var(--muted)}
.small{font-size:.85rem}
.panel{background:var(--paper);border:1px solid var(--line);border-radius:10px;padding:1rem 1.2rem}
.badge{display:inline-block;padding:0 .45em;border-radius:999px;font-size:.75rem;font-weight:600;
  line-height:1.6;white-space:nowrap;border:1px solid currentColor;vertical-align:.08em}
.badge.support{color:var(--support)}.badge.oppose{color:var(--oppose)}
.badge.neutral{color:var(--neutral)}.badge.mixed{color:var(--mixed)}
.badge.plain{color:var(--muted)}
.chip{display:inline-block;width:.8em;height:.8em;border-radius:3px;background:var(--bg);
  border:2px solid var(--bd);vertical-align:-.05em;flex:none}
table.grid{border-collapse:collapse;width:100%;font-size:.9rem}
table.grid th,table.grid td{border-bottom:1px solid var(--line);padding:.35rem .5rem;text-align:start;
  vertical-align:top}
table.grid th{font-size:.75rem;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);
  position:sticky;top:0;background:var(--paper)}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:.15rem .9rem;margin:0}
dl.kv dt{color:var(--muted)}dl.kv dd{margin:0;overflow-wrap:anywhere}
/* article text as rendered by marked_text() */
.text{font:17px/1.95 var(--serif);background:var(--paper);border:1px solid var(--line);border-radius:10px;
  padding:1.4rem 1.8rem;overflow-wrap:break-word}
.text .blk{white-space:pre-wrap;margin:0 0 .9em}
.text .blk:last-child{margin-bottom:0}
.text:lang(zh),.text:lang(ja),.text:lang(ko){line-height:2.1}
/* outcomes of matching a prediction against gold (eval report) */
.hit{background:hsl(140 60% 87%);box-shadow:inset 0 -2px hsl(140 50% 36%)}
.miss{background:hsl(0 90% 92%);box-shadow:inset 0 -2px hsl(0 65% 45%)}
.fp{background:hsl(40 100% 88%);text-decoration:underline wavy hsl(28 90% 42%);text-underline-offset:.25em}
svg.chart text{font-family:var(--sans);font-size:12px;fill:var(--fg)}
svg.chart .axis{stroke:var(--muted);stroke-width:1}
svg.chart .grid{stroke:var(--line);stroke-width:1}
svg.chart .whisker{stroke:var(--fg);stroke-width:1.4}
svg.chart .value{fill:var(--muted)}
svg.chart .group{font-weight:600;fill:var(--muted)}
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"


def page(*, title: str, body: str, css: str = "", script: str = "", lang: str | None = None) -> str:
    """A complete HTML document: escaped title, inline CSS and script, and a policy that forbids network.

    ``body`` and ``css``/``script`` are trusted markup built by claimx (never raw article text);
    ``script`` must not contain ``</script``.
    """
    if "</script" in script.lower() or "</style" in css.lower():
        raise ValueError("inline script or style would close its own element")
    script_tag = f"<script>{script}</script>" if script else ""
    return (
        "<!DOCTYPE html>\n"
        f'<html{attrs({"lang": lang or "und"})}>\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="claimx">\n'
        f"<title>{esc(title)}</title>\n"
        f"<style>{BASE_CSS}\n{palette_css()}\n{css}</style>\n</head>\n"
        f"<body>\n{body}\n{script_tag}\n</body>\n</html>\n"
    )


# --- marked text --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """A stretch ``[start, end)`` of a text to wrap in a ``<span>``.

    ``classes`` and ``attributes`` go on the span (attribute values are escaped when rendered).
    When marks cross, a mark is closed and reopened around the other, so one mark can become
    several elements: the first carries its classes as given plus ``first_attributes`` (an ``id``,
    a ``tabindex``: what must appear once), the others get class ``cont`` instead.
    ``layer`` orders marks that cover exactly the same characters: lower layers wrap higher ones.
    """

    start: int
    end: int
    classes: str
    attributes: Mapping[str, str | int | float | bool | None] = field(default_factory=dict)
    layer: int = 0
    first_attributes: Mapping[str, str | int | float | bool | None] = field(default_factory=dict)


_SEPARATOR = re.compile(r"[^\S\n]*\n\s*")


def block_separators(text: str) -> list[tuple[int, int]]:
    """The whitespace runs that contain a line break: the text's lines become separate blocks.

    Each block gets ``dir="auto"`` of its own, so a right-to-left paragraph next to a
    left-to-right one is laid out in its own direction.
    """
    return [m.span() for m in _SEPARATOR.finditer(text)]


def marked_text(text: str, marks: Sequence[Mark], *, block: str = "div", block_class: str = "blk") -> str:
    """``text`` as HTML blocks with ``marks`` as nested ``<span>`` elements.

    The text is cut at every mark boundary and every line break; each piece is escaped and
    wrapped in the marks that cover it. Marks are nested in a fixed order (by start, longer
    first, then ``layer``) and reopened after a crossing mark closes, so overlapping and nested
    marks both render, and the concatenated text content of the output is exactly ``text``
    (separators included, as whitespace between the blocks). Marks outside the text are clipped;
    empty ones are dropped.
    """
    n = len(text)
    kept: list[tuple[tuple[int, int, int, int], Mark]] = []
    for index, mark in enumerate(marks):
        start, end = max(0, mark.start), min(n, mark.end)
        if start < end:
            kept.append(((start, -end, mark.layer, index), mark))
    kept.sort(key=lambda item: item[0])
    separators = block_separators(text)
    cuts = {0, n}
    for key, _mark in kept:
        cuts.update((key[0], -key[1]))
    for a, b in separators:
        cuts.update((a, b))
    points = sorted(cuts)

    in_separator = [False] * len(points)
    sep_iter = iter(separators)
    current = next(sep_iter, None)
    for i, p in enumerate(points[:-1]):
        while current is not None and current[1] <= p:
            current = next(sep_iter, None)
        in_separator[i] = current is not None and current[0] <= p < current[1]

    starts: dict[int, list[int]] = {}
    ends: dict[int, list[int]] = {}
    for j, (key, _mark) in enumerate(kept):
        starts.setdefault(key[0], []).append(j)
        ends.setdefault(-key[1], []).append(j)

    out: list[str] = []
    stack: list[int] = []  # indices into kept (canonical order), outermost first
    live: set[int] = set()
    opened: set[int] = set()
    block_open = False
    for i in range(len(points) - 1):
        a, b = points[i], points[i + 1]
        live.difference_update(ends.get(a, ()))
        live.update(starts.get(a, ()))
        if in_separator[i]:
            out.extend("</span>" for _ in stack)
            stack = []
            if block_open:
                out.append(f"</{block}>")
                block_open = False
            out.append(esc(text[a:b]))
            continue
        if not block_open:
            out.append(f'<{block} class="{esc(block_class)}" dir="auto">')
            block_open = True
        active = sorted(live)
        common = 0
        while common < len(stack) and common < len(active) and stack[common] == active[common]:
            common += 1
        out.extend("</span>" for _ in stack[common:])
        for j in active[common:]:
            mark = kept[j][1]
            if j in opened:
                out.append(f"<span{attrs({'class': f'{mark.classes} cont', **mark.attributes})}>")
            else:
                opened.add(j)
                out.append(
                    f"<span{attrs({'class': mark.classes, **mark.attributes, **mark.first_attributes})}>"
                )
        stack = active
        out.append(esc(text[a:b]))
    out.extend("</span>" for _ in stack)
    if block_open:
        out.append(f"</{block}>")
    return "".join(out)


# --- charts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: a value, optionally with an interval ``[low, high]`` drawn as a whisker.

    ``swatch`` is a palette slot (``None``: the neutral colour); ``group`` starts a labelled group
    when it differs from the previous bar's.
    """

    label: str
    value: float
    low: float | None = None
    high: float | None = None
    swatch: int | None = None
    group: str | None = None
    note: str | None = None


def _fmt(value: float, digits: int) -> str:
    return f"{value:.{digits}f}"


def _ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (steps of 1, 2, 2.5 or 5 times a power of ten) from ``lo`` to ``hi``."""
    raw = (hi - lo) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw - 1e-12)
    first = math.ceil(lo / step - 1e-9)
    ticks = []
    k = first
    while k * step <= hi + 1e-9:
        ticks.append(round(k * step, 10) + 0.0)
        k += 1
    return ticks


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    domain: tuple[float, float] | None = None,
    digits: int = 2,
    width: int = 560,
    row: int = 22,
) -> str:
    """A horizontal bar chart as inline SVG: labels, bars, values, intervals, a zero line.

    Negative values (deltas in a comparison) grow left of zero. ``domain`` fixes the axis
    (e.g. ``(0, 1)`` for scores); by default it spans zero, the values and the intervals.
    """
    if domain is None:
        values = [0.0]
        for bar in bars:
            values.extend(v for v in (bar.value, bar.low, bar.high) if v is not None)
        lo, hi = min(values), max(values)
        if hi == lo:
            hi = lo + 1.0
    else:
        lo, hi = domain
    label_w = min(220, 16 + 7 * max((len(b.label) for b in bars), default=4))
    value_w = 16 + 8 * (digits + 3)
    plot_w = max(120, width - label_w - value_w)
    groups = sum(
        1 for i, b in enumerate(bars) if b.group is not None and (i == 0 or bars[i - 1].group != b.group)
    )
    top = 28
    height = top + row * len(bars) + 18 * groups + 22

    def x(v: float) -> float:
        return label_w + (min(max(v, lo), hi) - lo) / (hi - lo) * plot_w

    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'style="max-width:{width}px" xmlns="http://www.w3.org/2000/svg"{attrs({"aria-label": title})}>',
        f"<title>{esc(title)}</title>",
        f'<text x="0" y="16" font-weight="600">{esc(title)}</text>',
    ]
    for tick in _ticks(lo, hi):
        tx = x(tick)
        parts.append(f'<line class="grid" x1="{tx:.1f}" y1="{top - 4}" x2="{tx:.1f}" y2="{height - 18}"/>')
        parts.append(
            f'<text class="value" x="{tx:.1f}" y="{height - 4}" text-anchor="middle">'
            f"{_fmt(tick, digits)}</text>"
        )
    y = top
    for i, bar in enumerate(bars):
        if bar.group is not None and (i == 0 or bars[i - 1].group != bar.group):
            parts.append(f'<text class="group" x="0" y="{y + 13}">{esc(bar.group)}</text>')
            y += 18
        colour = "cn" if bar.swatch is None else f"c{bar.swatch % len(PALETTE)}"
        x0, x1 = sorted((x(0.0), x(bar.value)))
        tip = f"{bar.label}: {_fmt(bar.value, digits)}"
        if bar.low is not None and bar.high is not None:
            tip += f" [{_fmt(bar.low, digits)}, {_fmt(bar.high, digits)}]"
        if bar.note:
            tip += f" ({bar.note})"
        parts.append(f'<g class="{colour}"><title>{esc(tip)}</title>')
        parts.append(
            f'<text x="{label_w - 8}" y="{y + row / 2 + 4:.1f}" text-anchor="end">{esc(bar.label)}</text>'
        )
        parts.append(
            f'<rect x="{x0:.1f}" y="{y + 3}" width="{max(x1 - x0, 1):.1f}" height="{row - 6}" rx="3" '
            'style="fill:var(--bg);stroke:var(--bd)"/>'
        )
        if bar.low is not None and bar.high is not None:
            wl, wh, cy = x(bar.low), x(bar.high), y + row / 2
            parts.append(
                f'<path class="whisker" d="M{wl:.1f} {cy:.1f}H{wh:.1f}M{wl:.1f} {cy - 5:.1f}v10'
                f'M{wh:.1f} {cy - 5:.1f}v10"/>'
            )
        label = _fmt(bar.value, digits)
        parts.append(
            f'<text class="value" x="{label_w + plot_w + 8}" y="{y + row / 2 + 4:.1f}">'
            f"{esc(label)}</text></g>"
        )
        y += row
    zero = x(0.0)
    if lo < 0 < hi or lo == 0:
        parts.append(
            f'<line class="axis" x1="{zero:.1f}" y1="{top - 4}" x2="{zero:.1f}" y2="{height - 18}"/>'
        )
    parts.append("</svg>")
    return "\n".join(parts)
