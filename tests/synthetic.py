"""Extractions built by hand for rendering tests: many statements, right-to-left, CJK, hostile text.

Spans are found in the text by the helpers below (never typed as numbers), so every
extraction here verifies against its text exactly as a real one does.
"""

from __future__ import annotations

import hashlib

from claimx.schema import (
    Actor,
    ActorKind,
    Attribution,
    Claim,
    ClaimKind,
    Extraction,
    Meta,
    Mode,
    Position,
    Rejected,
    Span,
    Stance,
)


def find(text: str, needle: str, after: int = 0) -> Span:
    """The span of the first ``needle`` at or after ``after``."""
    start = text.index(needle, after)
    return Span(start=start, end=start + len(needle), text=needle)


def meta() -> Meta:
    return Meta(
        model="openai/test-model",
        provider="openai",
        prompt_id="extract@v1",
        prompt_sha256="0" * 64,
        response_schema_sha256="1" * 64,
        claimx_version="0.1.0",
    )


def extraction(text: str, doc_id: str, **layers: object) -> Extraction:
    return Extraction.model_validate(
        {
            "doc_id": doc_id,
            "text_sha256": hashlib.sha256(text.encode()).hexdigest(),
            "text": text,
            "meta": meta(),
            **layers,
        }
    )


NAMES = [
    "Maria Alvarez", "Kenji Sato", "Amara Okafor", "Lars Nilsson", "Priya Raman", "Tomás Herrera",
    "Olga Petrova", "Chen Wei", "Fatima Zahra", "David Levi", "Grace Mensah", "Ivan Horvat",
    "Sofia Rossi", "Ahmed Khan",
]  # fmt: skip
TOPICS = [
    "the port expansion", "the new tax on imports", "the rail strike", "the water treaty",
    "the school reform", "the energy subsidy", "the border checks", "the pension plan",
]  # fmt: skip


def many_statements(n: int = 100) -> Extraction:
    """An article of ``n`` statements by 14 speakers (more than the palette has colours).

    Every fifth statement is in the article's own voice; indirect statements carry the speaker's
    name inside another speaker's words, so mentions nest inside content spans.
    """
    paragraphs: list[str] = []
    plan: list[tuple[int | None, str, str, str, int]] = []  # speaker, content, cue, mention, topic
    for i in range(n):
        topic = i % len(TOPICS)
        if i % 5 == 4:
            content = f"Officials counted {i + 3} meetings about {TOPICS[topic]} this year"
            paragraphs.append(f"{content}.")
            plan.append((None, content, "", "", topic))
            continue
        who = i % len(NAMES)
        other = NAMES[(who + 3) % len(NAMES)]
        surname = NAMES[who].split()[-1]
        if i % 2:
            content = f"We will not accept {TOPICS[topic]} as {other} described it, not in year {i}"
            paragraphs.append(f'"{content}," {NAMES[who]} said.')
            plan.append((who, content, "said", NAMES[who], topic))
        else:
            content = f"{TOPICS[topic]} would help the region, as {other} had argued in meeting {i}"
            paragraphs.append(f"{surname} argued that {content}.")
            plan.append((who, content, "argued", surname, topic))
    text = "\n\n".join(paragraphs)

    actors: list[dict[str, object]] = []
    for k, name in enumerate(NAMES):
        mentions = []
        surname = name.split()[-1]
        pos = 0
        while True:
            hit = text.find(name, pos)
            hit_short = text.find(surname, pos)
            if hit < 0 and hit_short < 0:
                break
            if hit >= 0 and hit <= hit_short:
                mentions.append(find(text, name, hit))
                pos = hit + len(name)
            else:
                mentions.append(find(text, surname, hit_short))
                pos = hit_short + len(surname)
        actors.append(
            {
                "id": f"A{k + 1}",
                "name": name,
                "kind": ActorKind.PERSON,
                "role": "minister" if k % 2 else None,
                "affiliation": "Regional Council" if k % 3 == 0 else None,
                "mentions": mentions,
            }
        )
    claims, atts, cursor = [], [], 0
    positions: dict[tuple[int | None, int], list[str]] = {}
    for i, (who, content, cue, mention, topic) in enumerate(plan, start=1):
        content_span = find(text, content, cursor)
        cursor = content_span.end
        claims.append(
            Claim(id=f"C{i}", text=f"{content} (claim {i}).", kind=ClaimKind.OPINION, evidence=[content_span])
        )
        att: dict[str, object] = {
            "id": f"Q{i}",
            "claim_id": f"C{i}",
            "speaker_id": None if who is None else f"A{who + 1}",
            "mode": Mode.AUTHOR if who is None else (Mode.DIRECT if i % 2 == 0 else Mode.INDIRECT),
            "content": content_span,
        }
        if who is not None:
            # The cue follows the quote ("…," X said) or precedes the content ("X argued that …").
            if cue == "said":
                att["cue"] = find(text, "said", content_span.end)
                att["speaker_mention"] = find(text, mention, content_span.end)
            else:
                start = text.rindex(mention, 0, content_span.start)
                att["speaker_mention"] = find(text, mention, start)
                att["cue"] = find(text, "argued", start)
        atts.append(Attribution.model_validate(att))
        positions.setdefault((who, topic), []).append(f"C{i}")
    pos_list = [
        Position(
            id=f"P{j + 1}",
            holder_id=None if who is None else f"A{who + 1}",
            target=TOPICS[topic],
            stance=(Stance.OPPOSE, Stance.SUPPORT, Stance.NEUTRAL, Stance.MIXED)[(topic + (who or 0)) % 4],
            claim_ids=cids,
            evidence=[c.evidence[0] for c in claims if c.id in cids],
        )
        for j, ((who, topic), cids) in enumerate(sorted(positions.items(), key=lambda kv: int(kv[1][0][1:])))
    ]
    return extraction(
        text, "many-statements", actors=actors, claims=claims, attributions=atts, positions=pos_list
    )


RTL_TEXT = (
    'قال وزير الخارجية أحمد سالم إن "الحوار هو الطريق الوحيد إلى السلام" خلال مؤتمر صحفي يوم الثلاثاء.\n\n'
    "وأضاف سالم أن المفاوضات ستستأنف في الشهر المقبل.\n\n"
    'ראש העיר דנה כהן אמרה כי "התקציב החדש יחזק את בתי הספר".\n\n'
    'The minister Ahmed Salem said in English that "talks resume in May".'
)


def rtl() -> Extraction:
    """Arabic and Hebrew paragraphs, one English line, quotes in each."""
    text = RTL_TEXT
    salem = [find(text, "أحمد سالم"), find(text, "سالم", text.index("وأضاف")), find(text, "Ahmed Salem")]
    cohen = [find(text, "דנה כהן")]
    claims = [
        Claim(id="C1", text="الحوار هو الطريق الوحيد إلى السلام.", kind=ClaimKind.OPINION,
              evidence=[find(text, text.split("\n\n")[0])]),
        Claim(id="C2", text="ستستأنف المفاوضات في الشهر المقبل.", kind=ClaimKind.PREDICTION,
              evidence=[find(text, text.split("\n\n")[1])]),
        Claim(id="C3", text="התקציב החדש יחזק את בתי הספר.", kind=ClaimKind.OPINION),
        Claim(id="C4", text="Talks resume in May.", kind=ClaimKind.PREDICTION),
    ]  # fmt: skip
    atts = [
        Attribution(id="Q1", claim_id="C1", speaker_id="A1", mode=Mode.DIRECT, cue=find(text, "قال"),
                    content=find(text, "الحوار هو الطريق الوحيد إلى السلام"), speaker_mention=salem[0]),
        Attribution(id="Q2", claim_id="C2", speaker_id="A1", mode=Mode.INDIRECT, cue=find(text, "وأضاف"),
                    content=find(text, "المفاوضات ستستأنف في الشهر المقبل"), speaker_mention=salem[1]),
        Attribution(id="Q3", claim_id="C3", speaker_id="A2", mode=Mode.DIRECT, cue=find(text, "אמרה"),
                    content=find(text, "התקציב החדש יחזק את בתי הספר"), speaker_mention=cohen[0]),
        Attribution(id="Q4", claim_id="C4", speaker_id="A1", mode=Mode.DIRECT, cue=find(text, "said"),
                    content=find(text, "talks resume in May"), speaker_mention=salem[2]),
    ]  # fmt: skip
    positions = [
        Position(id="P1", holder_id="A1", target="الحوار", stance=Stance.SUPPORT, claim_ids=["C1"],
                 evidence=[atts[0].content]),
        Position(id="P2", holder_id="A2", target="התקציב החדש", stance=Stance.SUPPORT, claim_ids=["C3"],
                 evidence=[atts[2].content]),
    ]  # fmt: skip
    actors = [
        Actor(id="A1", name="أحمد سالم", kind=ActorKind.PERSON, role="وزير الخارجية", mentions=salem),
        Actor(id="A2", name="דנה כהן", kind=ActorKind.PERSON, role="ראש העיר", mentions=cohen),
    ]
    return extraction(text, "rtl", actors=actors, claims=claims, attributions=atts, positions=positions)


CJK_TEXT = (
    "外交部发言人王明表示，“中方欢迎双方恢复对话，希望各方保持克制”。他还说，地区和平需要各方共同努力。\n\n"
    "東京の田中大臣は「新しい協定は両国の経済を強くする」と述べた。\n\n"
    '서울시장 김민수는 "교통 요금 인상은 없을 것"이라고 말했다.'
)


def cjk() -> Extraction:
    """Chinese, Japanese and Korean paragraphs without spaces between words."""
    text = CJK_TEXT
    wang = [find(text, "王明"), find(text, "他")]
    tanaka = [find(text, "田中大臣")]
    kim = [find(text, "김민수")]
    claims = [
        Claim(id="C1", text="中方欢迎双方恢复对话。", kind=ClaimKind.OPINION),
        Claim(id="C2", text="地区和平需要各方共同努力。", kind=ClaimKind.OPINION),
        Claim(id="C3", text="新しい協定は両国の経済を強くする。", kind=ClaimKind.PREDICTION),
        Claim(id="C4", text="교통 요금 인상은 없을 것이다.", kind=ClaimKind.COMMITMENT),
    ]
    atts = [
        Attribution(id="Q1", claim_id="C1", speaker_id="A1", mode=Mode.DIRECT, cue=find(text, "表示"),
                    content=find(text, "中方欢迎双方恢复对话，希望各方保持克制"), speaker_mention=wang[0]),
        Attribution(id="Q2", claim_id="C2", speaker_id="A1", mode=Mode.INDIRECT, cue=find(text, "还说"),
                    content=find(text, "地区和平需要各方共同努力"), speaker_mention=wang[1]),
        Attribution(id="Q3", claim_id="C3", speaker_id="A2", mode=Mode.DIRECT, cue=find(text, "述べた"),
                    content=find(text, "新しい協定は両国の経済を強くする"), speaker_mention=tanaka[0]),
        Attribution(id="Q4", claim_id="C4", speaker_id="A3", mode=Mode.DIRECT, cue=find(text, "말했다"),
                    content=find(text, "교통 요금 인상은 없을 것"), speaker_mention=kim[0]),
    ]  # fmt: skip
    actors = [
        Actor(id="A1", name="王明", kind=ActorKind.PERSON, role="外交部发言人", mentions=wang),
        Actor(id="A2", name="田中大臣", kind=ActorKind.PERSON, mentions=tanaka),
        Actor(id="A3", name="김민수", kind=ActorKind.PERSON, role="서울시장", mentions=kim),
    ]
    positions = [
        Position(id="P1", holder_id="A1", target="双方恢复对话", stance=Stance.SUPPORT, claim_ids=["C1"],
                 evidence=[atts[0].content]),
        Position(id="P2", holder_id="A3", target="교통 요금 인상", stance=Stance.OPPOSE, claim_ids=["C4"],
                 evidence=[atts[3].content]),
    ]  # fmt: skip
    return extraction(text, "cjk", actors=actors, claims=claims, attributions=atts, positions=positions)


HOSTILE_TEXT = (
    'The mayor <img src="http://198.51.100.7/x.png" onerror="document.title=\'pwned\'"> said '
    '"<script>window.__pwned = 1;</script> taxes will fall & rise".\n\n'
    "A critic wrote: </span></div><b>bold</b> \"'><svg onload=alert(1)> is not a tag.\r\n"
    "Line with a carriage return above."
)


def hostile() -> Extraction:
    """Markup, script and attribute breakers in the text, a name, a claim and a rejected item."""
    text = HOSTILE_TEXT
    mayor = find(text, "The mayor <img")
    content = find(text, "<script>window.__pwned = 1;</script> taxes will fall & rise")
    critic = find(text, "A critic")
    content2 = find(text, "</span></div><b>bold</b> \"'><svg onload=alert(1)> is not a tag.")
    actors = [
        Actor(id="A1", name='Mayor <img src=x onerror="window.__pwned=2">', kind=ActorKind.PERSON,
              role="</div><script>window.__pwned=3</script>", mentions=[mayor]),
        Actor(id="A2", name="A critic", mentions=[critic]),
    ]  # fmt: skip
    claims = [
        Claim(id="C1", text='Taxes will "fall" <script>window.__pwned=4</script>', evidence=[content]),
        Claim(id="C2", text="'><svg onload=alert(1)> is not a tag", evidence=[content2]),
    ]
    atts = [
        Attribution(id="Q1", claim_id="C1", speaker_id="A1", mode=Mode.DIRECT, cue=find(text, "said"),
                    content=content, speaker_mention=mayor),
        Attribution(id="Q2", claim_id="C2", speaker_id="A2", mode=Mode.DIRECT, cue=find(text, "wrote"),
                    content=content2, speaker_mention=critic),
    ]  # fmt: skip
    positions = [
        Position(id="P1", holder_id="A1", target="<b>taxes</b>", stance=Stance.MIXED, claim_ids=["C1"]),
    ]
    rejected = [
        Rejected(layer="attribution", item={"quote": "<script>window.__pwned=5</script>"},
                 reason="quote not found in the article <script>window.__pwned=6</script>"),
    ]  # fmt: skip
    return extraction(
        text, "<script>doc</script>", actors=actors, claims=claims, attributions=atts, positions=positions,
        rejected=rejected,
    )  # fmt: skip
