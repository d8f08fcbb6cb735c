"""The extraction page in a real browser: headless Chromium, its DOM after scripts ran, a screenshot.

Skipped where Chromium is not installed (``apt-get install chromium``; ``.ci/run`` installs it).
Set ``CLAIMX_SCREENSHOTS=DIR`` to keep the screenshots for a look.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

import claimx
from claimx.render.html import extraction_html
from claimx.render.htmlkit import Bar, Mark, bar_chart, marked_text, page
from claimx.testing import Reply, ScriptedServer

from . import synthetic
from .browser import Chromium, PageReport, png_facts
from .conftest import SEED
from .test_cli import claimx_cli

pytestmark = pytest.mark.browser

HEADS = ".att:not(.cont)"


def keep(shot: Path) -> None:
    where = os.environ.get("CLAIMX_SCREENSHOTS")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(where) / shot.name)


def check_page(browser: Chromium, page: Path, result: claimx.Extraction, report: PageReport) -> None:
    """What every page must satisfy: scripts ran without errors, nothing fetched, one highlight per
    grounded statement, every actor in the panel, the article's text unchanged, no sideways scroll."""
    assert browser.evaluate("document.documentElement.getAttribute('data-ready')") == "1"
    grounded = [a for a in result.attributions if result.text and a.content.verifies(result.text)]
    assert browser.evaluate(f"document.querySelectorAll('#text {HEADS}').length") == len(grounded)
    assert browser.evaluate(
        "new Set(Array.from(document.querySelectorAll('#text .att'), e => e.dataset.att)).size"
    ) == len(grounded)
    panel = browser.evaluate("document.getElementById('actors').innerText")
    for actor in result.actors:
        assert actor.name in panel, actor.name
    shown = browser.evaluate("Array.from(document.querySelectorAll('#actors .actor'), e => e.dataset.actor)")
    assert {a.id for a in result.actors} <= set(shown)
    assert browser.evaluate("document.getElementById('text').textContent") == result.text
    assert browser.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert report.errors == []
    assert report.requests == [page.resolve().as_uri()]  # the page itself, nothing else


def screenshot(browser: Chromium, out: Path) -> None:
    browser.screenshot(out)
    width, height, distinct = png_facts(out)
    assert width >= 1000 and height >= 600
    assert distinct > 100, "the screenshot is (nearly) blank"
    keep(out)


def test_seed_page(
    server: ScriptedServer, seed_response: dict[str, Any], tmp_path: Path, browser: Chromium
) -> None:
    # The page exactly as a user makes it: extract to JSON, then claimx view.
    server.enqueue(Reply.completion(seed_response))
    saved, page = tmp_path / "result.json", tmp_path / "page.html"
    proc = claimx_cli(
        "extract", str(SEED), "-m", "openai/any", "--base-url", server.base_url, "-o", str(saved)
    )
    assert proc.returncode == 0, proc.stderr.decode()
    proc = claimx_cli("view", str(saved), "--out", str(page))
    assert proc.returncode == 0, proc.stderr.decode()
    result = claimx.Extraction.model_validate_json(saved.read_text(encoding="utf-8"))

    report = browser.open(page)
    check_page(browser, page, result, report)
    screenshot(browser, tmp_path / "seed.png")

    # The ambassador's words share one colour, different from the article's own voice.
    timonin = next(a for a in result.actors if a.name == "Alexander Timonin")
    colours = browser.evaluate(
        f"Array.from(document.querySelectorAll('#text {HEADS}'),"
        " e => [e.dataset.speaker, getComputedStyle(e).backgroundColor])"
    )
    his = {c for who, c in colours if who == timonin.id}
    author = {c for who, c in colours if who == ""}
    assert len([1 for who, _ in colours if who == timonin.id]) == 9
    assert len(his) == 1 and len(author) == 1 and his != author
    assert "rgba(0, 0, 0, 0)" not in his
    # His stances are in the panel.
    card = browser.evaluate(
        f"document.querySelector('#actors .actor[data-actor=\"{timonin.id}\"]').innerText"
    )
    assert "inter-Korean dialogue" in card and card.count("oppose") == 2 and "9 statements" in card

    # Clicking a quote shows its claim, mode and stance, and lights up the claim's evidence.
    assert browser.evaluate("getComputedStyle(document.getElementById('card-Q3')).display") == "none"
    browser.click('#text .att[data-att="Q3"]')
    assert browser.evaluate("getComputedStyle(document.getElementById('card-Q3')).display") == "block"
    detail = browser.evaluate("document.getElementById('detail').innerText")
    assert "Russia welcomes the positive changes" in detail and "direct" in detail
    assert "inter-Korean dialogue" in detail
    assert browser.evaluate("document.querySelectorAll('#text .ev.on').length") >= 1
    assert browser.evaluate("location.hash") == "#Q3"

    # Clicking the speaker's name keeps his statements and fades the others.
    browser.click(f'#actors .actor[data-actor="{timonin.id}"] .name')
    assert browser.evaluate("document.getElementById('text').classList.contains('focusing')")
    faded = browser.evaluate(
        f"Array.from(document.querySelectorAll('#text {HEADS}:not(.hl)'), e => e.dataset.speaker)"
    )
    assert faded == ["", ""]  # the article's own two statements
    # A row of the table finds its statement.
    browser.click("#row-Q9")
    assert browser.evaluate("getComputedStyle(document.getElementById('card-Q9')).display") == "block"
    assert report.errors == []


def test_page_opened_at_a_statement(tmp_path: Path, browser: Chromium) -> None:
    result = synthetic.many_statements(100)
    page = tmp_path / "many.html"
    page.write_text(extraction_html(result), encoding="utf-8")
    report = browser.open(page, fragment="Q57")
    assert browser.evaluate("getComputedStyle(document.getElementById('card-Q57')).display") == "block"
    assert report.errors == []


@pytest.mark.parametrize("name", ["many_statements", "rtl", "cjk", "hostile"])
def test_synthetic_pages(name: str, tmp_path: Path, browser: Chromium) -> None:
    result: claimx.Extraction = getattr(synthetic, name)()
    page = tmp_path / f"{name}.html"
    page.write_text(extraction_html(result), encoding="utf-8")
    report = browser.open(page)
    check_page(browser, page, result, report)
    screenshot(browser, tmp_path / f"{name}.png")
    # Every statement can be opened.
    last = result.attributions[-1].id
    browser.click(f'#text .att[data-att="{last}"]')
    assert browser.evaluate(f"getComputedStyle(document.getElementById('card-{last}')).display") == "block"
    assert report.errors == []


def test_directions_per_block(tmp_path: Path, browser: Chromium) -> None:
    page = tmp_path / "rtl.html"
    page.write_text(extraction_html(synthetic.rtl()), encoding="utf-8")
    report = browser.open(page)
    directions = browser.evaluate(
        "Array.from(document.querySelectorAll('#text .blk'), e => e.matches(':dir(rtl)') ? 'rtl' : 'ltr')"
    )
    assert directions == ["rtl", "rtl", "rtl", "ltr"]  # Arabic, Arabic, Hebrew, English
    assert report.errors == []


def test_hostile_article_runs_nothing(tmp_path: Path, browser: Chromium) -> None:
    result = synthetic.hostile()
    page = tmp_path / "hostile.html"
    page.write_text(extraction_html(result), encoding="utf-8")
    report = browser.open(page)
    assert browser.evaluate("typeof window.__pwned") == "undefined"
    assert "pwned" not in browser.evaluate("document.title")
    assert browser.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert browser.evaluate("document.scripts.length") == 1
    assert report.requests == [page.resolve().as_uri()]
    assert report.errors == []


def test_narrow_window_stays_readable(tmp_path: Path, browser: Chromium) -> None:
    result = synthetic.many_statements(100)
    page = tmp_path / "narrow.html"
    page.write_text(extraction_html(result), encoding="utf-8")
    browser.resize(420, 800)
    try:
        report = browser.open(page)
        assert browser.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        # One column: the side panel comes below the article, not squeezed beside it.
        top_of = "e => document.querySelector(e).getBoundingClientRect().top"
        assert browser.evaluate(f"({top_of})('.side') > ({top_of})('#text')")
        assert report.errors == []
    finally:
        browser.resize(1366, 900)


def test_a_broken_page_would_be_caught(tmp_path: Path, browser: Chromium) -> None:
    # The checks above can fail: a page with a script error and a fetch shows both.
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><body><img src='http://198.51.100.7/x.png'>"
        "<script>console.error('boom'); undefinedFunction();</script></body></html>",
        encoding="utf-8",
    )
    report = browser.open(page)
    assert any("boom" in e for e in report.console_errors)
    assert any("undefinedFunction" in e for e in report.exceptions)
    assert any(url.startswith("http://198.51.100.7") for url in report.requests)
    assert json.dumps(report.errors)


def test_report_building_blocks(tmp_path: Path, browser: Chromium) -> None:
    # What the eval report reuses: marked text with matches, misses and false positives (which
    # overlap), and an SVG bar chart with intervals and negative deltas, in the same page shell.
    text = 'Gold says "taxes will rise", the model says taxes will rise soon.\nA second line: شكرا.'
    gold_pred = [
        Mark(11, 26, "hit", {"data-k": "g1"}),
        Mark(43, 64, "fp", {"data-k": "p2"}),
        Mark(49, 60, "miss", {"data-k": "g2"}),
        Mark(81, 85, "miss", {"data-k": "g3"}),
    ]
    chart = bar_chart(
        [
            Bar("attribution F1", 0.62, 0.55, 0.70, swatch=0, group="v1"),
            Bar("claim F1", 0.48, 0.40, 0.57, swatch=1, group="v1"),
            Bar("Δ attribution", -0.08, group="v2 − v1"),
        ],
        title="Scores",
        domain=(-0.2, 1.0),
    )
    html = page(
        title="blocks",
        body=f'<div id="text" class="text">{marked_text(text, gold_pred)}</div><div id="chart">{chart}</div>',
    )
    path = tmp_path / "blocks.html"
    path.write_text(html, encoding="utf-8")
    report = browser.open(path)
    assert browser.evaluate("document.getElementById('text').textContent") == text
    backgrounds = browser.evaluate(
        "Object.fromEntries(['hit', 'miss', 'fp'].map(c =>"
        " [c, getComputedStyle(document.querySelector('.' + c)).backgroundColor]))"
    )
    assert len(set(backgrounds.values())) == 3 and "rgba(0, 0, 0, 0)" not in backgrounds.values()
    widths = browser.evaluate("Array.from(document.querySelectorAll('#chart rect'), r => r.getBBox().width)")
    assert len(widths) == 3 and all(w > 10 for w in widths)
    assert browser.evaluate("document.querySelectorAll('#chart .whisker').length") == 2
    screenshot(browser, tmp_path / "blocks.png")
    assert report.errors == []


def _rejecting_response(seed_response: dict[str, Any]) -> dict[str, Any]:
    """The seed's answer (which already has an invented quote and a holder never mentioned) with
    three more slips: a cue not next to its quote, an invented quote, a speaker never mentioned."""
    answer = json.loads(json.dumps(seed_response))
    answer["statements"][1]["cue"] = "whispered"
    invented = dict(answer["statements"][0], quote="Russia will send peacekeepers to the peninsula next week")
    stranger = dict(answer["statements"][0], speaker="Vladimir Putin", speaker_words="Putin")
    answer["statements"] += [invented, stranger]
    return answer


def test_rejections_say_what_was_dropped(
    server: ScriptedServer, seed_response: dict[str, Any], seed_text: str, tmp_path: Path, browser: Chromium
) -> None:
    server.enqueue(Reply.completion(_rejecting_response(seed_response)))
    result = claimx.extract(seed_text, model="openai/any", base_url=server.base_url, doc_id=SEED.stem)
    kept = next(a for a in result.attributions if a.content.text.startswith("expects the two countries"))
    assert kept.cue is None  # its cue was dropped, the statement kept
    page = tmp_path / "rejected.html"
    page.write_text(extraction_html(result), encoding="utf-8")
    report = browser.open(page)
    check_page(browser, page, result, report)

    # The header counts what was dropped, by kind, not "N rejected" beside "N statements".
    header = browser.evaluate("document.querySelector('header.top').innerText")
    assert "not grounded: 3 statements, 1 cue, 1 stance" in header
    assert "rejected" not in header.lower()
    box = browser.evaluate("document.getElementById('rejected').innerText")
    assert "are not part of the result" not in box
    # Grouped by reason code, each group with its count.
    codes = browser.evaluate("Array.from(document.querySelectorAll('#rejected .group'), g => g.dataset.code)")
    assert len(codes) == len(set(codes)) == 4
    sizes = browser.evaluate(
        "Array.from(document.querySelectorAll('#rejected .group'), g => g.querySelectorAll('li').length)"
    )
    assert sorted(sizes) == [1, 1, 1, 2]
    items = browser.evaluate("Array.from(document.querySelectorAll('#rejected li.item'), li => li.innerText)")
    assert len(items) == 5
    cue = next(i for i in items if "whispered" in i)
    assert "cue dropped; statement kept" in cue and kept.id in cue
    invented = next(i for i in items if "peacekeepers" in i)
    assert invented.startswith("statement dropped") and "Alexander Timonin" in invented
    stranger = next(i for i in items if "Vladimir Putin" in i)
    assert stranger.startswith("statement dropped")
    # One line each; the raw item is behind a toggle that opens.
    raw = "document.querySelector('#rejected details.raw pre')"
    assert browser.evaluate(f"{raw}.checkVisibility()") is False
    browser.click("#rejected details.raw summary")
    assert browser.evaluate(f"{raw}.checkVisibility()") is True
    assert '"quote"' in browser.evaluate(f"{raw}.innerText")
    # The statement kept without its cue is one click away.
    browser.click(f'#rejected a[href="#card-{kept.id}"]')
    assert browser.evaluate(f"getComputedStyle(document.getElementById('card-{kept.id}')).display") == "block"
    screenshot(browser, tmp_path / "rejected.png")
    assert report.errors == []


@pytest.mark.parametrize(
    ("model", "warning"),
    [("local", "demonstration model"), ("baseline", "no language model"), ("openai/gpt-4.1-mini", None)],
)
def test_page_says_which_model_made_it(
    model: str, warning: str | None, seed_text: str, tmp_path: Path, browser: Chromium
) -> None:
    base = claimx.extract(seed_text, model="baseline", doc_id=SEED.stem)
    result = base.model_copy(update={"meta": base.meta.model_copy(update={"model": model})})
    page = tmp_path / "made-by.html"
    page.write_text(extraction_html(result), encoding="utf-8")
    report = browser.open(page)
    assert f"made by {model}" in browser.evaluate("document.querySelector('header.top .sub').innerText")
    caveat = browser.evaluate("(e => e ? e.innerText : null)(document.getElementById('caveat'))")
    hint = browser.evaluate("document.getElementById('actors').innerText")
    if warning is None:
        assert caveat is None and "check each" not in hint
    else:
        assert caveat is not None and warning in caveat
        assert browser.evaluate("document.getElementById('caveat').getBoundingClientRect().height") > 0
        assert "check each against the article" in hint
    if model == "baseline":
        assert "misses" in caveat  # what it cannot find, not only what it can
    assert report.errors == []


def test_page_title_is_the_headline_or_the_dateline(
    seed_text: str, tmp_path: Path, browser: Chromium
) -> None:
    seed = claimx.extract(seed_text, model="baseline", doc_id=SEED.stem)
    page = tmp_path / "seed.html"
    page.write_text(extraction_html(seed), encoding="utf-8")
    browser.open(page)
    title = browser.evaluate("document.title")
    assert (
        title.startswith("SEOUL, February 6. /TASS/. Russia welcomes the resumption")
        and SEED.stem not in title
    )
    assert browser.evaluate("document.querySelector('h1').innerText") == title.removesuffix(" · claimx")

    text = "Ministers back a new tax on sugar\n\nThe finance minister said on Monday that the tax would pass."
    headed = claimx.extract(text, model="baseline", doc_id="tax")
    page.write_text(extraction_html(headed), encoding="utf-8")
    browser.open(page)
    assert browser.evaluate("document.title") == "Ministers back a new tax on sugar · claimx"

    plain = claimx.extract("The minister said the tax would pass on Monday.", model="baseline", doc_id="x1")
    page.write_text(extraction_html(plain), encoding="utf-8")
    browser.open(page)
    assert browser.evaluate("document.title") == "x1 · claimx"
