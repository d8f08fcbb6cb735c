"""Synthetic news articles and the answers a model would give for them, for the benchmarks.

Deterministic for a given seed. Every quote in an answer is taken from the article it answers,
the way a good model copies it; a share of them is deliberately imperfect (straight quotes for
curly ones, doubled spaces, changed case, a typo, an ellipsis) so that every grounding stage
(exact, normalized, fuzzy, pieces) does real work, as it does with real model output.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

NAMES = [
    ("Maria Alvarez", "minister", "Finance Ministry"),
    ("Kenji Sato", "spokesman", "Port Authority"),
    ("Amara Okafor", "senator", "Labour Party"),
    ("Lars Nilsson", "director", "Rail Union"),
    ("Priya Raman", "economist", "Central Bank"),
    ("Tomás Herrera", "mayor", "City Council"),
    ("Olga Petrova", "ambassador", "Foreign Office"),
    ("Chen Wei", "analyst", "Harbour Institute"),
    ("Fatima Zahra", "chair", "Water Board"),
    ("David Levi", "governor", "Northern Region"),
    ("Grace Mensah", "president", "Teachers Association"),
    ("Ivan Horvat", "secretary", "Energy Agency"),
    ("Sofia Rossi", "commissioner", "Trade Commission"),
    ("Ahmed Khan", "adviser", "Prime Minister's Office"),
]
TOPICS = [
    "the port expansion",
    "the new tax on imports",
    "the rail strike",
    "the water treaty",
    "the school reform",
    "the energy subsidy",
    "the border checks",
    "the pension plan",
]
WORDS = [
    "budget", "coalition", "negotiators", "regional", "export", "harbour", "tariffs", "inflation",
    "council", "workers", "contract", "shipping", "investment", "quarterly", "deficit", "reform",
    "treaty", "subsidies", "households", "manufacturers", "pipeline", "delegation", "parliament",
    "ministry", "agreement", "proposal", "timetable", "committee", "consultation", "revenue",
    "infrastructure", "pensions", "borrowing", "emissions", "ports", "residents", "schools",
    "teachers", "hospitals", "freight", "tariff", "currency", "markets", "lenders",
]  # fmt: skip
VERBS = ["said", "added", "noted", "warned", "argued", "told reporters", "insisted"]
KINDS = ["fact", "opinion", "prediction", "commitment", "hope", "other"]
STANCES = ["support", "oppose", "neutral", "mixed"]


def _clause(rng: random.Random, words: int) -> str:
    picked = [rng.choice(WORDS) for _ in range(words)]
    return " ".join(picked)


def _content(rng: random.Random, topic: str, length: int) -> str:
    """A proposition of about ``length`` characters about ``topic``."""
    text = f"{topic} will change how {_clause(rng, 3)} work"
    while len(text) < length:
        text += f", and {_clause(rng, rng.randint(3, 6))} {rng.choice(['will', 'must', 'could'])} follow"
    return text[0].upper() + text[1:]


def _imperfect(quote: str, i: int) -> str:
    """The quote as a model might copy it: mostly exact, sometimes a little off."""
    match i % 20:
        case 3:
            return quote.replace(" ", "  ", 2)  # doubled spaces: normalized
        case 7:
            return quote.lower()  # case changed: normalized
        case 11:
            words = quote.split()
            middle = len(words) // 2
            words[middle] = words[middle][:-1] + "x" if len(words[middle]) > 4 else words[middle]
            return " ".join(words)  # a typo: fuzzy
        case 15:
            words = quote.split()
            if len(words) > 12:
                return " ".join(words[:5]) + " ... " + " ".join(words[-5:])  # an ellipsis: pieces
            return quote
        case 17:
            return f"“{quote}”"  # enclosing quotation marks the article does not have there
        case _:
            return quote


def article(
    statements: int = 100, chars: int = 20_000, seed: int = 0, filler_every: int = 4
) -> tuple[str, dict[str, Any]]:
    """An article of about ``chars`` characters with ``statements`` statements, and the answer.

    Returns ``(text, answer)`` where ``answer`` is the JSON the model would return (actors,
    statements, positions). Every ``filler_every``-th paragraph has a sentence of background
    that no statement cites, as real articles do.
    """
    rng = random.Random(seed)
    per = max(60, chars // max(1, statements))
    content_len = max(30, int(per * 0.64))
    paragraphs: list[str] = []
    answer_statements: list[dict[str, Any]] = []
    used: dict[int, set[str]] = {}
    stance_of: dict[tuple[int | None, int], list[int]] = {}
    sentence = 0
    for i in range(statements):
        topic_i = i % len(TOPICS)
        topic = TOPICS[topic_i]
        content = _content(rng, topic, content_len)
        who: int | None = None if i % 6 == 5 else rng.randrange(len(NAMES))
        pieces: list[str] = []
        if filler_every and i % filler_every == 0:
            pieces.append(f"The {rng.choice(WORDS)} {_clause(rng, 6)} was discussed on {rng.choice(WORDS)}.")
        if who is None:
            pieces.append(f"{content}.")
            speaker, words, cue, mode = "author", None, None, "author"
        else:
            name, role, _org = NAMES[who]
            surname = name.split()[-1]
            seen = used.setdefault(who, set())
            designation = name if not seen else rng.choice([surname, "he" if i % 2 else "she", surname])
            seen.add(designation)
            verb = VERBS[i % len(VERBS)]
            if i % 3 == 0:
                pieces.append(f"“{content},” {designation} {verb}.")
                mode = "direct"
            elif i % 3 == 1:
                content = content[0].lower() + content[1:]
                pieces.append(f"{designation[0].upper() + designation[1:]} {verb} that {content}.")
                mode = "indirect"
            else:
                pieces.append(f"According to the {role}, {content[0].lower() + content[1:]}.")
                content = content[0].lower() + content[1:]
                verb, designation, mode = "According to", f"the {role}", "indirect"
            speaker, words, cue = name, designation, verb
        sentence += len(pieces)
        paragraphs.append(" ".join(pieces))
        answer_statements.append(
            {
                "sentences": [f"S{sentence}"],
                "quote": _imperfect(content, i),
                "speaker": speaker,
                "speaker_words": words,
                "cue": cue,
                "mode": mode,
                "claim": f"{content[0].upper() + content[1:]}.",
                "kind": KINDS[i % len(KINDS)],
            }
        )
        stance_of.setdefault((who, topic_i), []).append(i + 1)
    text = "\n\n".join(paragraphs)
    actors = [
        {
            "name": name,
            "kind": "person",
            "role": role,
            "affiliation": org,
            "mentions": [name.split()[-1], f"the {role}"],
        }
        for k, (name, role, org) in enumerate(NAMES)
        if k in used
    ]
    positions = [
        {
            "holder": "author" if who is None else NAMES[who][0],
            "target": TOPICS[topic_i],
            "stance": STANCES[(topic_i + (who or 0)) % len(STANCES)],
            "statements": numbers,
        }
        for (who, topic_i), numbers in stance_of.items()
    ]
    return text, {"actors": actors, "statements": answer_statements, "positions": positions}


def iter_short_articles(count: int, seed: int = 0) -> Iterator[tuple[str, str]]:
    """``count`` short distinct articles (a few sentences each) as ``(doc_id, text)`` pairs, lazily."""
    rng = random.Random(seed)
    for n in range(count):
        name, role, _ = NAMES[n % len(NAMES)]
        topic = TOPICS[n % len(TOPICS)]
        text = (
            f"“{_content(rng, topic, 80)},” {name} said on day {n}.\n\n"
            f"The {role} added that {_clause(rng, 8)} would be reviewed.\n\n"
            f"Officials counted {n + 3} meetings about {topic} this year."
        )
        yield f"doc-{n:05d}", text


def short_articles(count: int, seed: int = 0) -> list[tuple[str, str]]:
    """``count`` short distinct articles (a few sentences each) as ``(doc_id, text)`` pairs."""
    return list(iter_short_articles(count, seed))
