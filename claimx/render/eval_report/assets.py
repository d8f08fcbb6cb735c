"""The page's stylesheet and script (static text)."""

from __future__ import annotations

CSS = """
.top{padding:1.1rem 1.5rem .9rem;background:var(--paper);border-bottom:1px solid var(--line)}
.top .kicker{margin:0;color:var(--muted);font-size:.8rem;text-transform:uppercase;letter-spacing:.08em}
.top .sub{margin:.1rem 0 .4rem;color:var(--muted)}
.runs{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:.4rem 1.5rem;margin-top:.5rem;
  font-size:.88rem}
.runs h3{font-size:.9rem;margin:.2rem 0 .3rem}
.wide{padding:1.2rem 1.5rem;max-width:1500px;margin:0 auto;display:grid;gap:1.2rem}
.wide>*{min-width:0}
.scroll{overflow-x:auto}
.ci{color:var(--muted);font-size:.82em;white-space:nowrap}
.counts{color:var(--muted);font-size:.8em;font-weight:400;white-space:nowrap}
table.grid td.num{white-space:nowrap}
table.metrics,table.compare,table.acc{margin-bottom:1rem}
td.delta.up{color:var(--support)}td.delta.down{color:var(--oppose)}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr));gap:1rem 2rem;
  align-items:start}
.charts figure{margin:0;display:grid;gap:1.5rem;min-width:0}
.charts .per-doc{grid-column:1/-1;max-height:75vh;overflow:auto;border-top:1px solid var(--line);
  padding-top:1rem}
.docs-wrap{max-height:65vh;overflow:auto}
table.docs td.doc{overflow-wrap:anywhere;min-width:14rem}
table.docs tr.row{cursor:pointer}
table.docs tr.row:hover td{background:var(--wash)}
table.docs tr.sel td{background:hsl(50 100% 92%)}
th button.sort{all:unset;cursor:pointer;white-space:nowrap}
th button.sort:focus-visible{outline:2px solid var(--muted)}
th[aria-sort=ascending] button.sort::after{content:" ▲"}
th[aria-sort=descending] button.sort::after{content:" ▼"}
.controls{display:flex;flex-wrap:wrap;gap:.6rem 1.4rem;align-items:center;margin-bottom:.7rem}
.controls select{max-width:min(36rem,80vw);font:inherit}
.layers label{margin-inline-end:.8rem;white-space:nowrap}
#doc-title{margin:.4rem 0 .2rem;overflow-wrap:anywhere}
.facts{margin:0 0 .6rem;padding-inline-start:1.1rem;color:var(--muted);font-size:.88rem}
.legend{display:flex;flex-wrap:wrap;gap:.4rem 1.4rem;font-size:.88rem;margin:.3rem 0}
.legend .m{padding:0 .3em;border-radius:3px;font-weight:600}
.sbs{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1rem;margin-top:.6rem}
.pane h3{margin:0 0 .4rem;font-size:.95rem}
.pane .text{font-size:15.5px;line-height:1.85;max-height:78vh;overflow:auto;padding:1rem 1.2rem}
.pane .m.hit,.pane .m.miss,.pane .m.fp{border-radius:2px;cursor:pointer;
  -webkit-box-decoration-break:clone;box-decoration-break:clone}
.pane .m.hit:not(.cont)::before,.pane .m.miss:not(.cont)::before,.pane .m.fp:not(.cont)::before{
  content:"";display:inline-block;width:2px;height:1.1em;margin-inline-end:1px;vertical-align:-.15em;
  background:currentColor;opacity:.55}
.pane .m.paired{outline:2px solid var(--fg);outline-offset:1px}
.unplaced{margin:.6rem 0 0;padding:0;list-style:none;display:grid;gap:.3rem;font-size:.88rem}
.unplaced li{padding:.15rem .4rem;border-radius:4px}
@media (max-width:900px){.sbs{grid-template-columns:minmax(0,1fr)}.wide{padding-inline:.6rem}
  .top{padding-inline:.8rem}}
"""


SCRIPT = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var state = {doc: -1, layer: data.layers[0] || "", view: 0};
  var panes = [document.getElementById("pane-0"), document.getElementById("pane-1")];
  var docSelect = document.getElementById("doc-select");
  var viewSelect = document.getElementById("view-select");
  var CLASS = {h: "hit", m: "miss", f: "fp"};
  var NOUN = {attributions: "attribution", claims: "claim", positions: "position"};
  function all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  // A mark is [side, layer, id, {run: [outcome, partner, how]}, label?]: see document_data.
  // How it shows in a pane: gold items judged against a run, a run's predictions, or a run's
  // predictions with the gold items that run missed; null when the pane does not show it.
  function outcome(m, spec) {
    var r = m[3][spec.run];
    if (!r || data.layerNames[m[1]] !== state.layer) { return null; }
    var o = CLASS[r[0]];
    if (spec.kind === "gold") { return m[0] === "g" ? o : null; }
    if (spec.kind === "pred") { return m[0] === spec.run ? o : null; }
    if (m[0] === spec.run) { return o; }
    return m[0] === "g" && o === "miss" ? o : null;
  }

  function title(marks, m) {
    var gold = m[0] === "g";
    var lines = [m[2] + " · " + (gold ? "gold" : data.names[m[0]]) + " " + NOUN[data.layerNames[m[1]]]];
    if (m.length > 4) { lines.push(m[4]); }
    var runs = Object.keys(m[3]);
    runs.forEach(function (run) {
      var r = m[3][run];
      var partner = r.length > 1 && r[1] >= 0 ? marks[r[1]] : null;
      var how = gold ? r[2] : partner && partner[3][run] ? partner[3][run][2] : "";
      var prefix = gold && runs.length > 1 ? data.names[run] + ": " : "";
      var line;
      if (r[0] === "h") {
        line = (gold ? "matched by " : "matches ") + (partner ? partner[2] : "?") + " (" + how + ")";
      } else if (r[0] === "m") {
        line = partner ? "missed: paired with " + partner[2] + ", " + how : "missed: nothing matched";
      } else {
        line = partner ? "false positive: paired with " + partner[2] + ", " + how
          : "false positive: matches no gold";
      }
      lines.push(prefix + line);
    });
    return lines.join("\\n");
  }

  function decorate(el, marks, i, o, spec) {
    var r = marks[i][3][spec.run];
    el.classList.add(o);
    el.setAttribute("data-key", String(i));
    if (r.length > 1 && r[1] >= 0) { el.setAttribute("data-pair", String(r[1])); }
    el.title = title(marks, marks[i]);
  }

  function fill(pane, spec) {
    var doc = data.docs[state.doc];
    var box = pane.querySelector(".text");
    var list = pane.querySelector(".unplaced");
    var missing = pane.querySelector(".missing");
    var counts = {hit: 0, miss: 0, fp: 0};
    var placed = {};
    box.textContent = "";
    list.textContent = "";
    box.appendChild(document.getElementById("doc-" + state.doc).content.cloneNode(true));
    all("[data-m]", box).forEach(function (el) {
      var i = Number(el.getAttribute("data-m"));
      placed[i] = true;
      var o = outcome(doc.marks[i], spec);
      if (!o) { return; }
      decorate(el, doc.marks, i, o, spec);
      if (!el.classList.contains("cont")) { counts[o] += 1; }
    });
    doc.marks.forEach(function (m, i) {
      var o = placed[i] ? null : outcome(m, spec);
      if (!o) { return; }
      var li = document.createElement("li");
      li.className = "m";
      li.textContent = m[2] + ": " + (m[4] || "");
      decorate(li, doc.marks, i, o, spec);
      list.appendChild(li);
      counts[o] += 1;
    });
    list.hidden = list.children.length === 0;
    var absent = doc.runs.indexOf(spec.run) < 0;
    missing.hidden = !absent;
    missing.textContent = absent ? "This document is not in run " + spec.run.toUpperCase() + "." : "";
    pane.querySelector(".what").textContent = spec.title;
    var parts = [counts.hit + " matched"];
    if (spec.kind !== "pred") { parts.push(counts.miss + " missed"); }
    if (spec.kind !== "gold") { parts.push(counts.fp + " false positive" + (counts.fp === 1 ? "" : "s")); }
    pane.querySelector(".counts").textContent = "· " + parts.join(" · ");
  }

  function render() {
    if (state.doc < 0) { return; }
    var doc = data.docs[state.doc];
    document.getElementById("doc-title").textContent = doc.id;
    var facts = document.getElementById("doc-facts");
    facts.textContent = "";
    doc.facts.forEach(function (line) {
      var li = document.createElement("li");
      li.textContent = line;
      facts.appendChild(li);
    });
    data.views[state.view].forEach(function (spec, i) { fill(panes[i], spec); });
  }

  function show(index, scroll) {
    if (!(index >= 0 && index < data.docs.length)) { return; }
    state.doc = index;
    docSelect.value = String(index);
    all("#docs tr.sel").forEach(function (row) { row.classList.remove("sel"); });
    var row = document.querySelector('#docs tr.row[data-doc="' + index + '"]');
    if (row) { row.classList.add("sel"); }
    render();
    if (scroll) { document.getElementById("viewer").scrollIntoView({block: "start"}); }
    if (history.replaceState) {
      history.replaceState(null, "", "#doc=" + encodeURIComponent(data.docs[index].id));
    }
  }

  function sortBy(th) {
    var table = th.closest("table");
    var column = Array.prototype.indexOf.call(th.parentNode.children, th);
    var direction = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    all("thead th", table).forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", direction);
    var numeric = th.getAttribute("data-sort") === "number";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    function key(row) { return row.cells[column].getAttribute("data-v"); }
    function order(row) { return Number(row.getAttribute("data-doc")); }
    rows.sort(function (r1, r2) {
      var a = key(r1), b = key(r2);
      if (a === null || b === null) {  // rows without a value go last either way
        return a === b ? order(r1) - order(r2) : a === null ? 1 : -1;
      }
      var diff = numeric ? Number(a) - Number(b) : a.localeCompare(b);
      if (direction === "descending") { diff = -diff; }
      return diff || order(r1) - order(r2);
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function pairUp(el) {
    all(".pane .paired").forEach(function (m) { m.classList.remove("paired"); });
    var keys = [el.getAttribute("data-key"), el.getAttribute("data-pair")];
    var other = null;
    panes.forEach(function (pane) {
      all("[data-key]", pane).forEach(function (m) {
        if (keys.indexOf(m.getAttribute("data-key")) >= 0) {
          m.classList.add("paired");
          if (!pane.contains(el) && !other) { other = m; }
        }
      });
    });
    if (other) { other.scrollIntoView({block: "nearest"}); }
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) { return; }
    var button = target.closest("th button.sort");
    if (button) { sortBy(button.closest("th")); return; }
    var mark = target.closest(".pane [data-key]");
    if (mark) { pairUp(mark); return; }
    var row = target.closest("#docs tr.row");
    if (row) { show(Number(row.getAttribute("data-doc")), true); }
  });
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && target instanceof Element && target.matches("#docs tr.row")) {
      show(Number(target.getAttribute("data-doc")), true);
    }
  });
  docSelect.addEventListener("change", function () { show(Number(docSelect.value), false); });
  if (viewSelect) {
    viewSelect.addEventListener("change", function () { state.view = Number(viewSelect.value); render(); });
  }
  all('input[name="layer"]').forEach(function (input) {
    input.addEventListener("change", function () { state.layer = input.value; render(); });
  });

  // The two panes hold the same text: scrolling one scrolls the other to the same place.
  var echo = [false, false];  // a scroll this script caused, not to be mirrored back
  panes.forEach(function (pane, i) {
    var box = pane.querySelector(".text");
    box.addEventListener("scroll", function () {
      if (echo[i]) { echo[i] = false; return; }
      var other = panes[1 - i].querySelector(".text");
      var range = box.scrollHeight - box.clientHeight;
      var to = range > 0 ? box.scrollTop / range * (other.scrollHeight - other.clientHeight) : 0;
      if (Math.abs(other.scrollTop - to) >= 1) { echo[1 - i] = true; other.scrollTop = to; }
    });
  });

  var wanted = location.hash.indexOf("#doc=") === 0 ? decodeURIComponent(location.hash.slice(5)) : null;
  var start = data.initial;
  data.docs.forEach(function (doc, i) { if (doc.id === wanted) { start = i; } });
  show(start, false);
  document.documentElement.setAttribute("data-ready", "1");
})();
"""
