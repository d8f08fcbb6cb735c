"""The HTML building blocks: escaping, the marked-text renderer, the page shell and the bar chart."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claimx.render.htmlkit import (
    PALETTE,
    Bar,
    Mark,
    assign_swatches,
    attrs,
    bar_chart,
    block_separators,
    esc,
    marked_text,
    page,
)

from .htmltree import Node, parse


def body_of(html: str) -> Node:
    root = parse(f"<div id='root'>{html}</div>")
    node = root.by_id("root")
    assert node is not None
    return node


def test_esc_covers_markup_quotes_and_unwritable_characters() -> None:
    assert esc("<script>alert('x') & \"y\"</script>") == (
        "&lt;script&gt;alert(&#x27;x&#x27;) &amp; &quot;y&quot;&lt;/script&gt;"
    )
    # Same length in, same text out: NUL and lone surrogates become one replacement character.
    assert esc("a\x00b\ud800c") == "a\ufffdb\ufffdc"
    assert esc("a\r\nb") == "a&#13;\nb"
    esc("x\udfff").encode("utf-8")  # writable


def test_attrs_escapes_values_and_refuses_bad_names() -> None:
    assert attrs({"title": '"><script>', "hidden": True, "skip": None, "off": False}) == (
        ' title="&quot;&gt;&lt;script&gt;" hidden'
    )
    with pytest.raises(ValueError):
        attrs({"onclick=alert(1) x": "1"})


def test_nested_and_crossing_marks() -> None:
    text = "He said that taxes will rise soon."
    marks = [
        Mark(0, 34, "outer", {"data-k": "o"}),
        Mark(13, 28, "inner", {"data-k": "i"}),
        Mark(3, 7, "cue", {"data-k": "c"}),
        Mark(24, 33, "cross", {"data-k": "x"}),  # crosses "inner"
    ]
    html = marked_text(text, marks)
    root = body_of(html)
    assert root.text() == text
    outer = root.by_class("outer")
    assert len(outer) == 1 and outer[0].text() == text[:34]
    assert [n.text() for n in root.by_class("cue")] == ["said"]
    assert "".join(n.text() for n in root.by_class("inner")) == text[13:28]
    crossing = root.by_class("cross")
    assert "".join(n.text() for n in crossing) == text[24:33]
    assert len(crossing) == 2 and "cont" in crossing[1].classes and "cont" not in crossing[0].classes


def test_identical_ranges_nest_by_layer() -> None:
    html = marked_text("abc", [Mark(0, 3, "b", layer=2), Mark(0, 3, "a", layer=1)])
    assert html == '<div class="blk" dir="auto"><span class="a"><span class="b">abc</span></span></div>'


def test_first_attributes_go_on_the_first_fragment_only() -> None:
    html = marked_text(
        "one\ntwo", [Mark(0, 7, "m", {"data-k": "1"}, first_attributes={"id": "m1", "tabindex": "0"})]
    )
    root = body_of(html)
    fragments = root.by_class("m")
    assert [f.text() for f in fragments] == ["one", "two"]
    assert fragments[0].attrs.get("id") == "m1" and "id" not in fragments[1].attrs
    assert all(f.attrs["data-k"] == "1" for f in fragments)


def test_lines_become_blocks_with_their_own_direction() -> None:
    text = "  First line\r\nسطر عربي\n\n\nשורה\n"
    assert block_separators(text) == [(12, 14), (22, 25), (29, 30)]
    root = body_of(marked_text(text, []))
    blocks = root.by_class("blk")
    assert [b.text() for b in blocks] == ["  First line", "سطر عربي", "שורה"]
    assert all(b.attrs["dir"] == "auto" for b in blocks)
    assert root.text() == text


def test_hostile_text_stays_text() -> None:
    text = '<script>alert(1)</script> and </span></div><img src=x onerror="y">'
    root = body_of(marked_text(text, [Mark(0, 25, "q"), Mark(30, len(text), "r")]))
    assert root.text() == text
    assert not root.find_all(lambda n: n.tag in ("script", "img"))


def test_marks_outside_the_text_are_clipped_or_dropped() -> None:
    root = body_of(marked_text("abc", [Mark(2, 10, "late"), Mark(5, 9, "gone"), Mark(1, 1, "empty")]))
    assert [n.text() for n in root.by_class("late")] == ["c"]
    assert not root.by_class("gone") and not root.by_class("empty")
    assert marked_text("", [Mark(0, 1, "x")]) == ""


alphabet = st.sampled_from([*list("ab <>&\"'\n\r\t"), "é", "ش", "中", "🙂"])


@st.composite
def text_and_marks(draw: st.DrawFn) -> tuple[str, list[Mark]]:
    text = draw(st.text(alphabet, max_size=40))
    n = len(text)
    marks = []
    for k in range(draw(st.integers(0, 8))):
        start = draw(st.integers(0, n + 2))
        end = draw(st.integers(start, n + 3))
        marks.append(Mark(start, end, "m", {"data-k": str(k)}, layer=draw(st.integers(0, 2))))
    return text, marks


@settings(max_examples=300, deadline=None)
@given(text_and_marks())
def test_every_mark_covers_exactly_its_characters(case: tuple[str, list[Mark]]) -> None:
    text, marks = case
    root = body_of(marked_text(text, marks))
    assert root.text() == text
    # Offsets of every character inside each mark's elements.
    covered: dict[str, set[int]] = {}
    heads: dict[str, int] = {}
    position = 0

    def visit(node: Node, inside: tuple[str, ...]) -> None:
        nonlocal position
        for child in node.children:
            if isinstance(child, str):
                for k in inside:
                    covered.setdefault(k, set()).update(range(position, position + len(child)))
                position += len(child)
            else:
                key = child.attrs.get("data-k")
                if key is not None and "cont" not in child.classes:
                    heads[key] = heads.get(key, 0) + 1
                visit(child, (*inside, key) if key is not None else inside)

    visit(root, ())
    separators = {i for a, b in block_separators(text) for i in range(a, b)}
    for k, mark in enumerate(marks):
        expected = set(range(max(0, mark.start), min(len(text), mark.end))) - separators
        assert covered.get(str(k), set()) == expected
        assert heads.get(str(k), 0) == (1 if expected else 0)


def test_page_shell_forbids_network_and_escapes_the_title() -> None:
    html = page(title="<b>t</b>", body="<p>x</p>", css=".a{}", script="var x = 1;", lang="ar")
    assert html.startswith("<!DOCTYPE html>")
    assert "default-src 'none'" in html and "<title>&lt;b&gt;t&lt;/b&gt;</title>" in html
    assert '<html lang="ar">' in html
    with pytest.raises(ValueError):
        page(title="t", body="", script="x = '</script>'")


def test_swatches_are_stable_and_repeat_after_the_palette() -> None:
    keys = [f"A{i}" for i in range(len(PALETTE) + 2)]
    slots = assign_swatches(keys)
    assert slots == assign_swatches(keys)
    assert [slots[k] for k in keys[:3]] == [0, 1, 2]
    assert slots[keys[len(PALETTE)]] == 0


def test_bar_chart_is_svg_with_escaped_labels_intervals_and_negative_values() -> None:
    svg = bar_chart(
        [
            Bar("attribution <F1>", 0.62, 0.55, 0.70, swatch=0, group="layer"),
            Bar("claims", -0.1, group="delta"),
        ],
        title="F1 & deltas",
    )
    root = parse(svg)
    (chart,) = root.find_all(lambda n: n.tag == "svg")
    assert chart.attrs["aria-label"] == "F1 & deltas"
    texts = [n.text() for n in chart.find_all(lambda n: n.tag == "text")]
    assert "attribution <F1>" in texts and "0.62" in texts and "-0.10" in texts
    assert len(chart.find_all(lambda n: n.tag == "rect")) == 2
    assert len(chart.find_all(lambda n: "whisker" in n.classes)) == 1
    assert len(chart.find_all(lambda n: "axis" in n.classes)) == 1  # the zero line
    ticks = parse(bar_chart([Bar("a", 0.3)], title="t", domain=(-0.2, 1.0))).find_all(
        lambda n: n.tag == "text" and "value" in n.classes
    )
    assert [t.text() for t in ticks][:3] == ["0.00", "0.50", "1.00"]  # round ticks, zero among them
