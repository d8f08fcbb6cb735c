"""``claimx eval report``: the HTML page of a run, or of two runs compared, read back as data.

Runs are made the way a user makes them (``claimx eval run`` with the no-LLM ``gold`` and
``baseline`` models) on the built-in seed dataset and, where ``$CLAIMX_SHARED`` has it, on
PolNeAR dev. Every count the page shows is checked against the run's own ``samples.jsonl``,
read here as plain JSON, not through claimx. The tests marked ``browser`` open the pages in
headless Chromium (skipped where it is not installed; ``CLAIMX_SCREENSHOTS=DIR`` keeps the
screenshots).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from claimx.evaluate.compare import compare_runs
from claimx.evaluate.runlog import read_run
from claimx.evaluate.summary import MIN_INTERVAL_DOCUMENTS
from claimx.render.eval_report import eval_report_html
from claimx.testing import Reply, ScriptedServer

from .browser import Chromium
from .htmltree import Node, parse
from .test_eval_cli import POLNEAR_DEV, claimx_cli
from .test_view_browser import screenshot

LAYERS = ("attributions", "claims", "positions")
CODES = {"h": "hit", "m": "miss", "f": "fp"}


# --- building runs and reports as a user does --------------------------------------------------------


def make_run(folder: Path, dataset: str, model: str) -> Path:
    proc = claimx_cli(
        "eval",
        "run",
        "-d",
        dataset,
        "-m",
        model,
        "-o",
        str(folder),
        env={"CLAIMX_CACHE_DIR": str(folder) + ".cache"},
    )
    assert proc.returncode == 0, proc.stderr
    return folder


def make_report(out: Path, run: Path, compare: Path | None = None) -> Path:
    args = ["eval", "report", str(run), "--out", str(out)]
    if compare is not None:
        args += ["--compare", str(compare)]
    proc = claimx_cli(*args)
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {out}" in proc.stderr
    return out


@dataclass
class Runs:
    """A dataset's gold and baseline runs and the reports made from them."""

    gold: Path
    baseline: Path
    single: Path  # the baseline's report
    gold_only: Path  # gold's report: every item matched
    compare: Path  # baseline (B) against gold (A)


def _runs(folder: Path, dataset: str) -> Runs:
    gold = make_run(folder / "gold", dataset, "gold")
    baseline = make_run(folder / "baseline", dataset, "baseline")
    return Runs(
        gold=gold,
        baseline=baseline,
        single=make_report(folder / "baseline.html", baseline),
        gold_only=make_report(folder / "gold.html", gold),
        compare=make_report(folder / "compare.html", gold, baseline),
    )


@pytest.fixture(scope="session")
def seed_runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    return _runs(tmp_path_factory.mktemp("seed-report"), "seed")


@pytest.fixture(scope="session")
def polnear_runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    if not POLNEAR_DEV.is_dir():
        pytest.skip(f"PolNeAR dev split not found under {POLNEAR_DEV} (set CLAIMX_SHARED)")
    return _runs(tmp_path_factory.mktemp("polnear-report"), f"brat:{POLNEAR_DEV}")


@pytest.fixture(params=["seed", "polnear"])
def runs(request: pytest.FixtureRequest) -> Runs:
    found: Runs = request.getfixturevalue(f"{request.param}_runs")
    return found


# --- reading a run and a page, independently of the report's code --------------------------------------


def samples(run: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run / "samples.jsonl").read_text(encoding="utf-8").splitlines()]


def expected_counts(sample: dict[str, Any], layer: str) -> dict[str, int] | None:
    """hit / miss / fp of one document and layer, from the scorer's headline counts in samples.jsonl."""
    scores = sample["scores"][layer]
    if scores is None:
        return None
    counts = scores["lenient"] if layer == "attributions" else scores["counts"]
    return {
        "hit": counts["tp"],
        "miss": counts["n_gold"] - counts["tp"],
        "fp": counts["n_pred"] - counts["tp"],
    }


def report_data(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
    assert found, "the page carries no report data"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def marked_counts(data: dict[str, Any], doc: int, layer: str, run: str) -> dict[str, dict[str, int]]:
    """Outcomes of a document's gold items and of ``run``'s predicted items, as the page marks them."""
    index = data["layerNames"].index(layer)
    out: dict[str, dict[str, int]] = {"gold": Counter(), "pred": Counter()}
    for side, layer_index, _id, runs, *_label in data["docs"][doc]["marks"]:
        if layer_index != index or run not in runs:
            continue
        if side == "g":
            out["gold"][CODES[runs[run][0]]] += 1
        elif side == run:
            out["pred"][CODES[runs[run][0]]] += 1
    return {k: dict(v) for k, v in out.items()}


def check_counts(data: dict[str, Any], records: list[dict[str, Any]], run: str) -> int:
    """Every document's marks agree exactly with the scorer's counts; returns how many were checked."""
    by_id = {d["id"]: i for i, d in enumerate(data["docs"])}
    checked = 0
    for record in records:
        for layer in LAYERS:
            want = expected_counts(record, layer)
            if want is None:
                continue
            got = marked_counts(data, by_id[record["id"]], layer, run)
            assert got["gold"].get("hit", 0) == want["hit"], (record["id"], layer, got, want)
            assert got["gold"].get("miss", 0) == want["miss"], (record["id"], layer, got, want)
            assert got["pred"].get("hit", 0) == want["hit"], (record["id"], layer, got, want)
            assert got["pred"].get("fp", 0) == want["fp"], (record["id"], layer, got, want)
            assert set(got["gold"]) <= {"hit", "miss"} and set(got["pred"]) <= {"hit", "fp"}
            checked += 1
    return checked


def templates(root: Node) -> list[Node]:
    return [n for n in root.walk() if n.tag == "template"]


# --- the tests -------------------------------------------------------------------------------------------


def test_page_is_self_contained(runs: Runs) -> None:
    for page in (runs.single, runs.compare, runs.gold_only):
        html = page.read_text(encoding="utf-8")
        root = parse(html)
        for node in root.walk():
            for name in ("src", "href", "action", "srcset", "poster", "data"):
                value = (node.attrs.get(name) or "").strip().lower()
                assert not value.startswith(("http:", "https:", "//")), (node.tag, name, value)
            assert node.tag not in ("link", "iframe", "img", "object", "embed"), node.tag
        styles = " ".join(n.text() for n in root.walk() if n.tag == "style")
        assert "@import" not in styles and "@font-face" not in styles and "url(" not in styles
        assert "default-src 'none'" in html  # the page's policy forbids fetching anything at all


def test_one_row_per_sample(runs: Runs) -> None:
    for page, run in ((runs.single, runs.baseline), (runs.compare, runs.gold)):
        root = parse(page.read_text(encoding="utf-8"))
        table = root.by_id("docs")
        assert table is not None
        rows = table.by_class("row")
        records = samples(run)
        assert len(rows) == len(records) == len(templates(root))
        ids = [n.text() for row in rows for n in row.by_class("doc")]
        assert ids == [r["id"] for r in records]  # dataset order until someone sorts


def test_marks_equal_the_scorers_counts(runs: Runs) -> None:
    records = samples(runs.baseline)
    single = report_data(runs.single.read_text(encoding="utf-8"))
    assert check_counts(single, records, "a") >= len(records)
    compared = report_data(runs.compare.read_text(encoding="utf-8"))
    assert check_counts(compared, records, "b") >= len(records)  # B, the baseline, against the same gold
    assert check_counts(compared, samples(runs.gold), "a") >= len(records)


def test_every_mark_is_in_the_text_once(runs: Runs) -> None:
    html = runs.compare.read_text(encoding="utf-8")
    root, data = parse(html), report_data(html)
    records = {r["id"]: r for r in samples(runs.gold)}
    for index, template in enumerate(templates(root)):
        doc = data["docs"][index]
        assert template.attrs["id"] == f"doc-{index}"
        assert template.text() == records[doc["id"]]["text"]  # the article, every character, once
        heads = Counter(
            int(n.attrs["data-m"] or "")
            for n in template.walk()
            if "data-m" in n.attrs and "cont" not in n.classes
        )
        assert all(n == 1 for n in heads.values())
        for i, mark in enumerate(doc["marks"]):
            # Placed in the text exactly once, or listed beside it with words that say what it is.
            assert heads.get(i) == 1 or (len(mark) == 5 and mark[4]), (doc["id"], mark)


def test_gold_against_itself_has_no_miss_and_no_false_positive(runs: Runs) -> None:
    data = report_data(runs.gold_only.read_text(encoding="utf-8"))
    outcomes = Counter(
        entry[0] for doc in data["docs"] for mark in doc["marks"] for entry in mark[3].values()
    )
    assert outcomes["h"] > 0 and set(outcomes) == {"h"}


def test_compare_shows_the_deltas_of_compare_runs(runs: Runs) -> None:
    comparison = compare_runs(read_run(runs.gold), read_run(runs.baseline)).model_dump(mode="json")
    root = parse(runs.compare.read_text(encoding="utf-8"))
    table = next(n for n in root.walk() if n.tag == "table" and "compare" in n.classes)
    shown: dict[str, dict[str, float]] = {}
    intervals: dict[str, str] = {}
    for row in table.find_all(lambda n: n.tag == "tr" and "data-layer" in n.attrs):
        layer = row.attrs["data-layer"] or ""
        for cell in row.find_all(lambda n: "data-metric" in n.attrs):
            shown.setdefault(layer, {})[cell.attrs["data-metric"] or ""] = float(
                cell.attrs["data-v"] or "nan"
            )
            if cell.attrs["data-metric"] == "f1":
                intervals[layer] = "".join(n.text() for n in cell.by_class("ci"))
    assert set(shown) == set(comparison["layers"]) and shown
    for layer, entry in comparison["layers"].items():
        for metric in ("precision", "recall", "f1"):
            assert shown[layer][metric] == entry[metric]["delta"], (layer, metric)
        if entry["documents"] < MIN_INTERVAL_DOCUMENTS:  # too few for an interval: none is shown
            assert "ci" not in entry["f1"] and intervals[layer] == ""
            continue
        low, high = entry["f1"]["ci"]
        assert intervals[layer] == f"[{low:+.3f}, {high:+.3f}]"
    # Per document: the change of each document that moved most, as compare_runs has it.
    docs = root.by_id("docs")
    assert docs is not None
    header = [n.text() for n in docs.walk() if n.tag == "th"]
    column = header.index("Δ F1")
    by_doc = {
        row.by_class("doc")[0].text(): [c for c in row.children if isinstance(c, Node)][column]
        for row in docs.by_class("row")
    }
    for moved in comparison["worse"] + comparison["better"]:
        assert float(by_doc[moved["id"]].attrs["data-v"] or "nan") == moved["delta_f1"]
    signs = Counter(
        "worse" if (v := float(c.attrs["data-v"] or "0")) < 0 else "better" if v > 0 else "unchanged"
        for c in by_doc.values()
    )
    assert dict(signs) == {k: v for k, v in comparison["counts"].items() if v}


def test_a_wrong_mark_would_be_caught(seed_runs: Runs) -> None:
    # The count check can fail: flip one matched gold attribution to a miss.
    data = report_data(seed_runs.single.read_text(encoding="utf-8"))
    mark = next(m for m in data["docs"][0]["marks"] if m[0] == "g" and m[3]["a"][0] == "h")
    mark[3]["a"][0] = "m"
    with pytest.raises(AssertionError):
        check_counts(data, samples(seed_runs.baseline), "a")


def test_header_names_both_runs(seed_runs: Runs) -> None:
    root = parse(seed_runs.compare.read_text(encoding="utf-8"))
    header = next(n for n in root.walk() if n.tag == "header").text()
    for run in (seed_runs.gold, seed_runs.baseline):
        head = json.loads((run / "run.json").read_text())
        for value in (head["model"], head["date"], head["run_id"], head["dataset"]["spec"]):
            assert value in header
    assert "baseline@v1" in header and "Changes are B − A" in header


def test_metrics_carry_their_intervals(seed_runs: Runs) -> None:
    summary = json.loads((seed_runs.baseline / "summary.json").read_text())
    root = parse(seed_runs.single.read_text(encoding="utf-8"))
    row = next(n for n in root.walk() if n.tag == "tr" and n.attrs.get("data-layer") == "attributions")
    cells = [c for c in row.children if isinstance(c, Node) and c.tag == "td"]
    f1 = cells[2]
    assert float(f1.attrs["data-v"] or "nan") == summary["attributions"]["f1"]
    # The seed is one document: too few for an interval, so none is computed or shown.
    assert summary["attributions"]["documents"] < MIN_INTERVAL_DOCUMENTS
    assert "ci" not in summary["attributions"] and f1.by_class("ci") == []
    charts = root.by_id("charts")
    assert charts is not None and len(charts.find_all(lambda n: n.tag == "svg")) >= 2
    assert not charts.find_all(lambda n: "whisker" in n.classes)  # no interval, no whisker


def test_hostile_article_stays_text(tmp_path: Path) -> None:
    text = (
        'He said "</script><script>window.__pwned=1</script></template>'
        '<img src=x onerror="window.__pwned=2">" '
        'loudly.\nShe added "it is all fine &amp; good".\n'
    )
    quote = text.index('"') + 1, text.index('" loudly')
    second = text.index("it is"), text.rindex('"')

    def span(bounds: tuple[int, int]) -> dict[str, Any]:
        return {"start": bounds[0], "end": bounds[1], "text": text[bounds[0] : bounds[1]]}

    gold = {
        "actors": [],
        "claims": [{"id": "C1", "text": "a claim", "evidence": [span(quote)]}, {"id": "C2", "text": "fine"}],
        "attributions": [
            {"id": "E1", "claim_id": "C1", "mode": "direct", "content": span(quote)},
            {"id": "E2", "claim_id": "C2", "mode": "direct", "content": span(second)},
        ],
        "positions": [],
    }
    dataset = tmp_path / "hostile.jsonl"
    dataset.write_text(json.dumps({"id": "x</script>", "text": text, "gold": gold}) + "\n", encoding="utf-8")
    gold_run = make_run(tmp_path / "gold", f"jsonl:{dataset}", "gold")
    base_run = make_run(tmp_path / "base", f"jsonl:{dataset}", "baseline")
    page = make_report(tmp_path / "hostile.html", gold_run, base_run)
    html = page.read_text(encoding="utf-8")
    assert html.count("<script") == 2  # the report's data and its script, nothing from the article
    root = parse(html)
    assert not [n for n in root.walk() if n.tag == "img"]
    [template] = templates(root)
    assert template.text() == text
    data = report_data(html)
    assert data["docs"][0]["id"] == "x</script>"
    claim = next(m for m in data["docs"][0]["marks"] if m[0] == "g" and m[2] == "C2")
    assert claim[4] == "fine"  # no evidence: listed beside the text (by the script), not lost


def test_report_of_the_python_api_equals_the_cli(seed_runs: Runs) -> None:
    html = eval_report_html(read_run(seed_runs.gold), read_run(seed_runs.baseline))
    assert html == seed_runs.compare.read_text(encoding="utf-8")  # deterministic: seeded bootstrap


def test_cli_errors_and_defaults(seed_runs: Runs, tmp_path: Path) -> None:
    proc = claimx_cli("eval", "report", str(tmp_path))
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0
    assert "is not an eval run" in proc.stderr
    proc = claimx_cli("eval", "report", str(seed_runs.gold), "--compare", str(tmp_path / "missing"))
    assert proc.returncode == 2 and "is not an eval run" in proc.stderr
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "run.json").write_text("{not json")
    proc = claimx_cli("eval", "report", str(broken))
    assert proc.returncode == 3 and "not JSON" in proc.stderr
    # Without --out the page goes beside the run; written whole, nothing left behind.
    run = tmp_path / "run"
    make_run(run, "seed", "baseline")
    proc = claimx_cli("eval", "report", str(run))
    assert proc.returncode == 0, proc.stderr
    assert (run / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in run.iterdir() if p.name.startswith(".")) == []
    # Two runs with no document in common cannot be compared.
    other = tmp_path / "other.jsonl"
    line = json.loads((Path(__file__).resolve().parents[1] / "evals" / "gold" / "seed.jsonl").read_text())
    line["id"] = "another"
    line.pop("source", None)
    other.write_text(json.dumps(line) + "\n", encoding="utf-8")
    elsewhere = make_run(tmp_path / "elsewhere", f"jsonl:{other}", "gold")
    proc = claimx_cli("eval", "report", str(run), "--compare", str(elsewhere), "-o", str(tmp_path / "x.html"))
    assert proc.returncode == 2 and "no document in common" in proc.stderr
    assert not (tmp_path / "x.html").exists()
    help_text = claimx_cli("eval", "report", "--help", env={"COLUMNS": "200"}).stdout
    assert "Example" in help_text and "claimx eval report" in help_text and "--compare" in help_text


def test_a_failed_document_is_all_misses(tmp_path: Path, server: ScriptedServer) -> None:
    server.enqueue(*[Reply.error(400, "bad request") for _ in range(3)])
    failed = tmp_path / "failed"
    proc = claimx_cli(
        "eval", "run", "-d", "seed", "-m", "openai/x", "--base-url", server.base_url, "-o", str(failed),
        env={"CLAIMX_CACHE_DIR": str(tmp_path / "cache")},
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    html = make_report(tmp_path / "failed.html", failed).read_text(encoding="utf-8")
    [record] = samples(failed)
    assert check_counts(report_data(html), [record], "a") == 3
    root = parse(html)
    assert [n.text() for n in root.by_class("badge")] == ["failed"]
    assert "failed:" in json.dumps(report_data(html)["docs"][0]["facts"])


@pytest.mark.skipif(not POLNEAR_DEV.is_dir(), reason="PolNeAR dev split not found (set CLAIMX_SHARED)")
def test_polnear_report_size_is_reasonable(polnear_runs: Runs) -> None:
    # Each of the 84 texts is embedded once: the comparison stays near the size of the texts
    # plus their marks, not several copies of every article.
    texts = sum(len(r["text"].encode("utf-8")) for r in samples(polnear_runs.gold))
    size = polnear_runs.compare.stat().st_size
    assert size < 5 * texts, (size, texts)
    html = polnear_runs.compare.read_text(encoding="utf-8")
    data = report_data(html)
    assert len(data["docs"]) == 84


# --- in a real browser ------------------------------------------------------------------------------------


# Every document and layer of the open page: what each pane marks, counted in the live DOM after
# the page's own script has coloured it (items, not pieces: an item's later pieces are .cont).
COUNT_ALL = """
(() => {
  const select = document.getElementById("doc-select");
  const out = {};
  for (const option of Array.from(select.options)) {
    select.value = option.value;
    select.dispatchEvent(new Event("change"));
    for (const input of document.querySelectorAll('input[name="layer"]')) {
      input.click();
      const count = (pane, cls) => document.querySelectorAll(`#pane-${pane} .m.${cls}:not(.cont)`).length;
      out[option.textContent + "|" + input.value] = [0, 1].map(pane =>
        Object.fromEntries(["hit", "miss", "fp"].map(cls => [cls, count(pane, cls)])));
    }
  }
  return out;
})()
"""


def open_page(browser: Chromium, page: Path) -> None:
    report = browser.open(page)
    assert browser.evaluate("document.documentElement.getAttribute('data-ready')") == "1"
    assert report.requests == [page.resolve().as_uri()]  # the page itself, nothing else


@pytest.mark.browser
def test_single_run_in_the_browser(runs: Runs, browser: Chromium, tmp_path: Path) -> None:
    open_page(browser, runs.single)
    records = samples(runs.baseline)
    assert browser.evaluate("document.querySelectorAll('#docs tbody tr.row').length") == len(records)
    assert browser.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(browser, tmp_path / "single.png")
    counted = browser.evaluate(COUNT_ALL)
    checked = 0
    for record in records:
        for layer in LAYERS:
            want = expected_counts(record, layer)
            if want is None:
                continue
            gold, pred = counted[f"{record['id']}|{layer}"]
            assert gold == {"hit": want["hit"], "miss": want["miss"], "fp": 0}, (record["id"], layer)
            assert pred == {"hit": want["hit"], "miss": 0, "fp": want["fp"]}, (record["id"], layer)
            checked += 1
    assert checked >= len(records)
    assert browser.report.errors == []


@pytest.mark.browser
def test_gold_against_itself_in_the_browser(runs: Runs, browser: Chromium) -> None:
    open_page(browser, runs.gold_only)
    counted = browser.evaluate(COUNT_ALL)
    assert len(counted) >= len(samples(runs.gold))
    assert all(pane["miss"] == pane["fp"] == 0 for panes in counted.values() for pane in panes)
    assert sum(panes[0]["hit"] for panes in counted.values()) > 0
    assert browser.report.errors == []


def row_values(browser: Chromium, column: int) -> list[str | None]:
    cells = f"r => r.cells[{column}].getAttribute('data-v')"
    return list(browser.evaluate(f"Array.from(document.querySelectorAll('#docs tbody tr'), {cells})"))


def choose(browser: Chromium, select: str, value: str) -> None:
    """Pick an option of a <select> as a user does: set it and let the page hear the change."""
    browser.evaluate(
        f"(s => {{ s.value = {json.dumps(value)}; s.dispatchEvent(new Event('change')); }})"
        f"(document.getElementById({json.dumps(select)}))"
    )


@pytest.mark.browser
def test_comparison_in_the_browser(runs: Runs, browser: Chromium, tmp_path: Path) -> None:
    open_page(browser, runs.compare)
    gold, baseline = samples(runs.gold), samples(runs.baseline)
    assert browser.evaluate("document.querySelectorAll('#docs tbody tr.row').length") == len(gold)
    assert browser.evaluate("document.querySelectorAll('#charts svg').length") == 4
    assert browser.evaluate("document.querySelectorAll('#charts .per-doc rect').length") == len(gold)
    screenshot(browser, tmp_path / "compare.png")

    # Sorting: a click on a header orders the rows by its values, a second click reverses them.
    headers = browser.evaluate(
        "Array.from(document.querySelectorAll('#docs thead th'), th => th.textContent)"
    )
    column = headers.index("Δ F1")
    browser.click(f"#docs thead th:nth-child({column + 1}) button")
    ascending = [float(v) for v in row_values(browser, column) if v is not None]
    assert ascending == sorted(ascending) and len(ascending) == len(gold)
    if len(set(ascending)) > 1:
        assert ascending != row_values(browser, 0)  # the order really changed
    browser.click(f"#docs thead th:nth-child({column + 1}) button")
    descending = [float(v) for v in row_values(browser, column) if v is not None]
    assert descending == sorted(ascending, reverse=True)
    assert browser.evaluate(
        f"document.querySelectorAll('#docs thead th')[{column}].getAttribute('aria-sort')"
    ) == ("descending")
    browser.click("#docs thead th:nth-child(1) button")
    assert [int(v or 0) for v in row_values(browser, 0)] == list(range(1, len(gold) + 1))

    # A click on a row opens that document, A and B side by side, each with its misses.
    worst = min(
        baseline, key=lambda r: (sum(c["hit"] for lay in LAYERS if (c := expected_counts(r, lay))), r["id"])
    )
    index = [r["id"] for r in gold].index(worst["id"])
    browser.click(f'#docs tr.row[data-doc="{index}"] td.doc')
    assert browser.evaluate("document.getElementById('doc-title').textContent") == worst["id"]
    assert browser.evaluate("decodeURIComponent(location.hash)") == f"#doc={worst['id']}"
    counted = browser.evaluate(COUNT_ALL)
    for b_record, a_record in zip(baseline, gold, strict=True):
        for layer in LAYERS:
            want_b, want_a = expected_counts(b_record, layer), expected_counts(a_record, layer)
            if want_b is None or want_a is None:
                continue
            pane_a, pane_b = counted[f"{b_record['id']}|{layer}"]
            assert pane_b == want_b, (b_record["id"], layer)
            assert pane_a == {"hit": want_a["hit"], "miss": 0, "fp": 0}, (a_record["id"], layer)

    # The other views: gold against B.
    choose(browser, "view-select", "2")
    first = baseline[0]
    choose(browser, "doc-select", "0")
    layer = next(lay for lay in LAYERS if expected_counts(first, lay) is not None)
    browser.click(f'input[name="layer"][value="{layer}"]')
    want = expected_counts(first, layer)
    assert want is not None
    gold_pane = browser.evaluate(
        "['hit', 'miss', 'fp'].map(c => document.querySelectorAll('#pane-0 .m.' + c + ':not(.cont)').length)"
    )
    assert gold_pane == [want["hit"], want["miss"], 0]
    assert "Gold, against B" in browser.evaluate("document.querySelector('#pane-0 h3').textContent")

    # A click on a matched item outlines its partner in the other pane.
    if want["hit"]:
        browser.click("#pane-0 .m.hit:not(.cont)")
        assert browser.evaluate("document.querySelectorAll('#pane-1 .m.paired').length") >= 1
    screenshot(browser, tmp_path / "compare-doc.png")
    assert browser.report.errors == []


@pytest.mark.browser
def test_opened_at_a_document_and_narrow(seed_runs: Runs, browser: Chromium) -> None:
    report = browser.open(seed_runs.compare, fragment="doc=seed")
    assert browser.evaluate("document.getElementById('doc-title').textContent") == "seed"
    browser.resize(420, 800)
    try:
        browser.open(seed_runs.compare)
        assert browser.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        top = "e => document.querySelector(e).getBoundingClientRect().top"
        assert browser.evaluate(f"({top})('#pane-1') > ({top})('#pane-0')")  # one pane above the other
    finally:
        browser.resize(1366, 900)
    assert report.errors == [] and browser.report.errors == []


@pytest.mark.browser
def test_hostile_report_runs_nothing(tmp_path: Path, browser: Chromium) -> None:
    test_hostile_article_stays_text(tmp_path)
    page = tmp_path / "hostile.html"
    open_page(browser, page)
    assert browser.evaluate("typeof window.__pwned") == "undefined"
    assert browser.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert browser.evaluate("document.getElementById('doc-title').textContent") == "x</script>"
    browser.click('input[name="layer"][value="claims"]')
    assert "C2: fine" in browser.evaluate("document.querySelector('#pane-0 .unplaced').textContent")
    assert browser.report.errors == []


def test_runs_without_a_model_cost_nothing_not_unknown(runs: Runs) -> None:
    # gold and baseline ask no model: the page says what they cost, $0, not "cost unknown".
    for page in (runs.gold_only, runs.single, runs.compare):
        html = page.read_text(encoding="utf-8")
        assert "cost unknown" not in html and "$0" in html
