"""Datasets: one loader per gold format, each yielding :class:`Sample` objects.

A dataset is named by a spec string:

- ``seed``: the seed article's hand-made gold (``evals/gold/seed.jsonl``);
- ``jsonl:PATH`` (or a path ending in ``.jsonl``): claimx's own gold format, documented in
  ``evals/README.md``;
- ``brat:DIR``: brat standoff in PolNeAR's layout, ``DIR/text/NAME.txt`` and
  ``DIR/attributions/NAME[_ANNOTATOR].ann`` (or both side by side in ``DIR``);
- ``seesaw:DIR[?split=valid]``: SEESAW's sentence-level stance triples, as positions.

Loaders check every gold span against its text, so a dataset that does not
verify fails at load with the file and line, not later as odd scores.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from pydantic import ValidationError

from claimx.errors import ConfigError, InputError
from claimx.evaluate.sample import Gold, Layer, Sample
from claimx.schema import Actor, ActorKind, Attribution, Claim, ClaimKind, Mode, Position, Span, Stance

__all__ = ["Dataset", "gold_dir", "load_dataset", "quote_mode"]


@dataclass
class Dataset:
    """Samples and what loading them left out."""

    spec: str
    name: str
    samples: list[Sample]
    #: Counts of things the loader read, chose or skipped, e.g. {"relations": 2316, "skipped": 1}.
    stats: dict[str, int] = field(default_factory=dict)


def gold_dir() -> Path:
    """Where built-in gold lives: ``$CLAIMX_GOLD_DIR``, the installed copy, or the checkout's."""
    env = os.environ.get("CLAIMX_GOLD_DIR")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_gold", here.parent / "evals" / "gold"):
        if candidate.is_dir():
            return candidate
    raise ConfigError("no built-in gold found; set CLAIMX_GOLD_DIR to the folder holding seed.jsonl")


def load_dataset(spec: str, limit: int | None = None) -> Dataset:
    """The dataset named by ``spec`` (see the module docstring), at most ``limit`` samples."""
    kind, _, rest = spec.partition(":")
    location, _, query = rest.partition("?")
    options = dict(parse_qsl(query))
    if kind == "seed" and not rest:
        dataset = _jsonl(spec, "seed", gold_dir() / "seed.jsonl")
    elif kind == "jsonl" and location:
        dataset = _jsonl(spec, Path(location).stem, Path(location))
    elif not rest and spec.endswith(".jsonl"):
        dataset = _jsonl(spec, Path(spec).stem, Path(spec))
    elif kind == "brat" and location:
        dataset = _brat(spec, Path(location), options)
    elif kind == "seesaw" and location:
        dataset = _seesaw(spec, Path(location), options)
    else:
        raise ConfigError(
            f"unknown dataset {spec!r}: use seed, jsonl:PATH, brat:DIR or seesaw:DIR[?split=train|valid]"
        )
    if limit is not None:
        dataset.samples = dataset.samples[: max(0, limit)]
    if not dataset.samples:
        raise InputError(f"dataset {spec!r} has no samples")
    return dataset


def _check_spans(sample: Sample, where: str) -> None:
    gold = sample.gold
    spans: list[Span] = [m for a in gold.actors for m in a.mentions]
    spans += [e for c in gold.claims for e in c.evidence]
    for att in gold.attributions:
        spans += [s for s in (att.content, att.cue, att.speaker_mention) if s is not None]
    spans += [e for p in gold.positions for e in p.evidence]
    for span in spans:
        if not span.verifies(sample.text):
            raise InputError(f"{where}: gold span {span.start}:{span.end} {span.text!r} is not in the text")
    actor_ids = {a.id for a in gold.actors}
    claim_ids = {c.id for c in gold.claims}
    for att in gold.attributions:
        if att.speaker_id is not None and att.speaker_id not in actor_ids:
            raise InputError(f"{where}: attribution {att.id} names unknown actor {att.speaker_id}")
        if att.claim_id not in claim_ids and Layer.CLAIMS in sample.layers:
            raise InputError(f"{where}: attribution {att.id} names unknown claim {att.claim_id}")
    for pos in gold.positions:
        for ref in (pos.holder_id, pos.target_actor_id):
            if ref is not None and ref not in actor_ids:
                raise InputError(f"{where}: position {pos.id} names unknown actor {ref}")


# ---------------------------------------------------------------------- jsonl


def _jsonl(spec: str, name: str, path: Path) -> Dataset:
    if not path.is_file():
        raise ConfigError(f"dataset file {path} does not exist")
    samples: list[Sample] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: not JSON ({exc.msg})") from exc
        if not isinstance(record, dict):
            raise InputError(f"{where}: expected a JSON object")
        sample = _sample_from_record(record, path, where)
        if sample.id in seen:
            raise InputError(f"{where}: sample id {sample.id!r} appears twice")
        seen.add(sample.id)
        _check_spans(sample, where)
        samples.append(sample)
    return Dataset(spec, name, samples, {"documents": len(samples)})


_SAMPLE_KEYS = {"id", "text", "gold", "layers", "author_statements", "content_segments", "meta"}


def _sample_from_record(record: dict[str, Any], path: Path, where: str) -> Sample:
    record = dict(record)
    if "text" not in record and isinstance(record.get("source"), str):
        source = Path(record["source"])
        for candidate in (path.parent / source, source):
            if candidate.is_file():
                record["text"] = candidate.read_text(encoding="utf-8")
                break
        else:
            raise InputError(f"{where}: no 'text', and its source {source} was not found")
    extra = {k: v for k, v in record.items() if k not in _SAMPLE_KEYS}
    fields = {k: v for k, v in record.items() if k in _SAMPLE_KEYS}
    fields["meta"] = {**extra, **fields.get("meta", {})}
    try:
        return Sample.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{where}: {loc}: {first['msg']}") from exc


# ----------------------------------------------------------------------- brat

_T_LINE = re.compile(r"^(T\d+)\t(\S+) (\d+ \d+(?:;\d+ \d+)*)\t")
_E_LINE = re.compile(r"^(E\d+)\t(.*)$")
_ROLE = re.compile(r"^([A-Za-z\-]+?)\d*:(T\d+)$")
_OPEN_QUOTES = "\"“‘«„'"
_CLOSE_QUOTES = "\"”’»“'"


@dataclass
class _Relation:
    id: str
    content: list[tuple[int, int]]
    cue: list[tuple[int, int]]
    source: list[tuple[int, int]]


def _brat(spec: str, root: Path, options: dict[str, str]) -> Dataset:
    text_dir, ann_dir = root / "text", root / "attributions"
    if not (text_dir.is_dir() and ann_dir.is_dir()):
        text_dir = ann_dir = root
    if not root.is_dir():
        raise ConfigError(f"brat dataset folder {root} does not exist")
    chosen, annotations = _choose_annotations(text_dir, ann_dir, options.get("annotator"))
    if not chosen:
        raise InputError(f"{root}: no .ann files with a matching .txt file")
    stats: Counter[str] = Counter(documents=len(chosen), annotation_files=annotations)
    samples = []
    for name, ann in chosen:
        text = _read_exact(text_dir / f"{name}.txt")
        sample = _brat_sample(name, text, ann, stats)
        _check_spans(sample, str(ann))
        samples.append(sample)
    return Dataset(spec, root.name if root.name not in ("", ".") else "brat", samples, dict(stats))


def _read_exact(path: Path) -> str:
    """The file's text with its line endings untouched: brat offsets count every character."""
    with path.open(encoding="utf-8", newline="") as handle:
        return handle.read()


def _choose_annotations(
    text_dir: Path, ann_dir: Path, annotator: str | None
) -> tuple[list[tuple[str, Path]], int]:
    """One .ann per document: the named annotator's when given, else the first file by name."""
    by_doc: dict[str, list[Path]] = {}
    files = sorted(ann_dir.glob("*.ann"))
    for ann in files:
        stem = ann.stem
        if (text_dir / f"{stem}.txt").is_file():
            name = stem
        else:
            name = stem.rsplit("_", 1)[0]
            if not (text_dir / f"{name}.txt").is_file():
                continue
        by_doc.setdefault(name, []).append(ann)
    chosen: list[tuple[str, Path]] = []
    for name in sorted(by_doc):
        candidates = by_doc[name]
        preferred = [a for a in candidates if annotator and a.stem.endswith(f"_{annotator}")]
        chosen.append((name, (preferred or candidates)[0]))
    return chosen, len(files)


def _parse_ann(path: Path) -> tuple[dict[str, tuple[str, list[tuple[int, int]]]], list[tuple[str, str]]]:
    spans: dict[str, tuple[str, list[tuple[int, int]]]] = {}
    relations: list[tuple[str, str]] = []
    for line in _read_exact(path).split("\n"):
        t = _T_LINE.match(line)
        if t:
            pieces = [tuple(int(x) for x in part.split()) for part in t.group(3).split(";")]
            spans[t.group(1)] = (t.group(2), sorted((a, b) for a, b in pieces))
            continue
        e = _E_LINE.match(line)
        if e:
            relations.append((e.group(1), e.group(2)))
        # other lines (notes, and continuation lines of multi-line span texts) carry nothing we use
    return spans, relations


def _brat_sample(name: str, text: str, ann: Path, stats: Counter[str]) -> Sample:
    spans, raw_relations = _parse_ann(ann)
    relations: list[_Relation] = []
    for rel_id, args in raw_relations:
        stats["relations"] += 1
        rel = _Relation(rel_id, [], [], [])
        for arg in args.split():
            m = _ROLE.match(arg)
            if not m or m.group(2) not in spans:
                raise InputError(f"{ann}: relation {rel_id} has a bad argument {arg!r}")
            role = m.group(1).lower()
            pieces = spans[m.group(2)][1]
            if role == "content":
                rel.content.extend(pieces)
            elif role == "cue":
                rel.cue.extend(pieces)
            elif role == "source":
                rel.source.extend(pieces)
        if not rel.content:
            stats["relations_without_content"] += 1  # nothing was said: cannot be an attribution
            continue
        if not rel.source:
            stats["relations_without_source"] += 1
        relations.append(rel)
    relations.sort(key=lambda r: (min(r.content), r.id))

    actors: dict[str, Actor] = {}
    claims: list[Claim] = []
    attributions: list[Attribution] = []
    segments: dict[str, list[tuple[int, int]]] = {}
    for rel in relations:
        content = _cover(text, rel.content)
        pieces = sorted(set(rel.content))
        if len(pieces) > 1:
            segments[rel.id] = [(a, b) for a, b in pieces]
        speaker_id: str | None = None
        mention = _cover(text, rel.source) if rel.source else None
        if mention is not None:
            key = " ".join(mention.text.lower().split())
            if key not in actors:
                actors[key] = Actor(id=f"A{len(actors) + 1}", name=" ".join(mention.text.split()))
            actors[key].mentions.append(mention)
            speaker_id = actors[key].id
        claim_id = f"C{rel.id[1:]}"
        claims.append(
            Claim(
                id=claim_id,
                text=" ".join(" ".join(text[a:b] for a, b in pieces).split()),
                kind=ClaimKind.OTHER,
                evidence=[Span(start=a, end=b, text=text[a:b]) for a, b in pieces],
            )
        )
        attributions.append(
            Attribution(
                id=rel.id,
                claim_id=claim_id,
                speaker_id=speaker_id,
                mode=quote_mode([text[a:b] for a, b in pieces]),
                cue=_cover(text, rel.cue) if rel.cue else None,
                content=content,
                speaker_mention=mention,
            )
        )
    for actor in actors.values():
        actor.mentions.sort(key=lambda s: (s.start, s.end))
    gold = Gold(actors=list(actors.values()), claims=claims, attributions=attributions)
    return Sample(
        id=name,
        text=text,
        gold=gold,
        layers=[Layer.ATTRIBUTIONS, Layer.CLAIMS],
        author_statements=False,
        content_segments=segments,
        meta={"annotation_file": ann.name},
    )


def _cover(text: str, pieces: Iterable[tuple[int, int]]) -> Span:
    pieces = list(pieces)
    start, end = min(a for a, _ in pieces), max(b for _, b in pieces)
    return Span(start=start, end=end, text=text[start:end])


def quote_mode(pieces: list[str]) -> Mode:
    """How a content is attributed, from its quotation marks (PolNeAR has no mode label).

    Every piece wholly in quotation marks: ``direct``; some quoted words inside
    reported speech: ``mixed``; none: ``indirect``.
    """
    whole = [p.strip().rstrip(".,;:!?—–- ") for p in pieces if p.strip()]
    if whole and all(_quoted(p) for p in whole):
        return Mode.DIRECT
    if any(_has_quote(p) for p in pieces):
        return Mode.MIXED
    return Mode.INDIRECT


def _quoted(piece: str) -> bool:
    stripped = piece.strip()
    if len(stripped) < 2 or stripped[0] not in _OPEN_QUOTES:
        return False
    tail = stripped.rstrip(".,;:!?")
    return (bool(tail) and tail[-1] in _CLOSE_QUOTES) or stripped[-1] in _CLOSE_QUOTES


_DOUBLE_QUOTE = re.compile(r"[\"“”«»„]")


def _has_quote(piece: str) -> bool:
    return len(_DOUBLE_QUOTE.findall(piece)) >= 2


# --------------------------------------------------------------------- seesaw

_SEESAW_STANCE = {"POS": Stance.SUPPORT, "NEG": Stance.OPPOSE}
_SEESAW_KIND = {
    "people": ActorKind.PERSON,
    "organization": ActorKind.ORGANIZATION,
    "gpe": ActorKind.GOVERNMENT,
}
_UNLISTED = "Not in the list"


def _seesaw(spec: str, root: Path, options: dict[str, str]) -> Dataset:
    articles, annotations, meta = root / "articles", root / "annotations", root / "meta"
    if not (articles.is_dir() and annotations.is_dir()):
        raise ConfigError(f"{root} is not a SEESAW folder (expected articles/ and annotations/)")
    split = options.get("split")
    if split and not meta.is_dir():
        raise ConfigError(f"{root}: cannot select split {split!r} without meta/")
    stats: Counter[str] = Counter()
    samples: list[Sample] = []
    for path in sorted(annotations.glob("*.json")):
        name = path.stem
        if split:
            triplet = name.split("_DOCUMENT_")[0]
            story = json.loads((meta / f"{triplet}.json").read_text(encoding="utf-8"))
            if str(story.get("Split", "")).lower() != split.lower():
                continue
        article_path = articles / path.name
        if not article_path.is_file():
            stats["annotations_without_article"] += 1
            continue
        article = json.loads(article_path.read_text(encoding="utf-8"))
        labels = json.loads(path.read_text(encoding="utf-8"))
        sample = _seesaw_sample(name, article, labels, stats)
        _check_spans(sample, str(path))
        samples.append(sample)
    stats["documents"] = len(samples)
    return Dataset(spec, f"seesaw-{split}" if split else "seesaw", samples, dict(stats))


def _seesaw_sample(name: str, article: dict[str, Any], labels: dict[str, Any], stats: Counter[str]) -> Sample:
    sentences: dict[str, tuple[int, int]] = {}
    parts: list[str] = []
    offset = 0
    for sentence in article.get("text", []):
        words = " ".join(str(sentence["text"]).split())
        if not words:
            continue
        if parts:
            offset += 1
        sentences[str(sentence["id"])] = (offset, offset + len(words))
        parts.append(words)
        offset += len(words)
    text = " ".join(parts)
    entity_kind: dict[str, ActorKind] = {}
    for entry in labels.get("entity lists", []):
        types = [str(t).lower() for t in entry[1]] if len(entry) > 1 else []
        kind = Counter(types).most_common(1)[0][0] if types else "other"
        entity_kind[str(entry[0])] = _SEESAW_KIND.get(kind, ActorKind.OTHER)

    actors: dict[str, Actor] = {}

    def actor_for(entity: str) -> Actor:
        if entity not in actors:
            mentions = [
                Span(start=m.start(), end=m.end(), text=m.group(0))
                for m in re.finditer(rf"(?<!\w){re.escape(entity)}(?!\w)", text)
            ]
            actors[entity] = Actor(
                id=f"A{len(actors) + 1}",
                name=entity,
                kind=entity_kind.get(entity, ActorKind.OTHER),
                mentions=mentions,
            )
        return actors[entity]

    grouped: dict[tuple[str, str, str], list[tuple[int, int]]] = {}
    for sentence_id, triples in sorted(
        labels.get("sentence-level stances", {}).items(), key=lambda kv: int(kv[0])
    ):
        if sentence_id not in sentences:
            stats["triples_without_sentence"] += len(triples)
            continue
        for triple in triples:
            stats["triples"] += 1
            subject, obj, sentiment = str(triple["subject"]), str(triple["object"]), str(triple["sentiment"])
            if subject == _UNLISTED or obj in (_UNLISTED, "None") or sentiment not in _SEESAW_STANCE:
                stats["triples_unnamed"] += 1  # an entity outside the article's list: nothing to match
                continue
            place = sentences[sentence_id]
            bucket = grouped.setdefault((subject, obj, sentiment), [])
            if place not in bucket:
                bucket.append(place)
    positions: list[Position] = []
    for (subject, obj, sentiment), places in sorted(grouped.items(), key=lambda kv: (min(kv[1]), kv[0])):
        holder = None if subject == "None" else actor_for(subject).id
        target_kind = entity_kind.get(obj, ActorKind.OTHER)
        target_actor = actor_for(obj).id if target_kind is not ActorKind.OTHER or obj in actors else None
        positions.append(
            Position(
                id=f"P{len(positions) + 1}",
                holder_id=holder,
                target=obj,
                target_actor_id=target_actor,
                stance=_SEESAW_STANCE[sentiment],
                evidence=[Span(start=a, end=b, text=text[a:b]) for a, b in sorted(places)],
            )
        )
    stats["positions"] += len(positions)
    return Sample(
        id=name,
        text=text,
        gold=Gold(actors=list(actors.values()), positions=positions),
        layers=[Layer.POSITIONS],
        meta={"title": article.get("title")},
    )
