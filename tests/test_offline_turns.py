"""``offline``: a transcript's turns ("WALLACE: …") are said by the name before their colon."""

from __future__ import annotations

import claimx
from claimx.document import Document
from claimx.offline.turns import transcript_turns

_TRANSCRIPT = (
    "Pence defended the tweet on Sunday.\n\nPartial transcript as follows:\n\n"
    '"WALLACE: After the Clinton camp announced that it was inviting Mark Cuban to the debate, '
    "Trump invited Gennifer Flowers. Why would he do that?\n\n"
    '"PENCE: Well, look, Hillary Clinton apparently thinks this is an episode of a game show. '
    "But this is serious business.\n\n"
    "UPDATE: The campaign said later that Flowers would not attend.\n"
)


def test_a_turn_is_its_speakers_statement_whatever_verb_it_holds() -> None:
    result = claimx.extract(_TRANSCRIPT, model="offline", doc_id="t", cache=False)
    names = {a.id: a.name for a in result.actors}
    by_start = {a.content.text.split()[0]: a for a in result.attributions}
    wallace = by_start["After"]  # (not "announced", the verb of the clause inside the turn)
    assert wallace.cue is not None and wallace.cue.text == ":"
    assert names[wallace.speaker_id or ""] == "WALLACE"
    assert wallace.content.text.endswith("Why would he do that?")
    pence = by_start["Well,"]
    assert names[pence.speaker_id or ""] == "PENCE" and pence.cue is not None and pence.cue.text == ":"
    # A label in capitals names no one: the campaign says what follows "UPDATE:".
    update = [a for a in result.attributions if "Flowers would not attend" in a.content.text]
    assert update and all(names.get(a.speaker_id or "") != "UPDATE" for a in update)


def test_one_name_before_a_colon_is_no_transcript() -> None:
    text = "The debate is on Monday.\n\nCLARIFICATION: An earlier version misstated the date.\n"
    assert transcript_turns(Document.from_text(text)) == {}
    turns = transcript_turns(Document.from_text(_TRANSCRIPT))
    assert [_TRANSCRIPT[t.source.start : t.source.end] for t in turns.values()] == ["WALLACE", "PENCE"]
    first = next(iter(turns.values()))
    assert _TRANSCRIPT[first.start :].startswith("After the Clinton camp")


def test_a_paragraph_announced_by_the_one_before_is_the_announcers() -> None:
    # "The governor added:" announces the next paragraph, whatever verb the tagger finds in it.
    said = "“Those comments are a disgrace,” Christie said on the radio.\n\nThe governor added:\n\n"
    said_next = "It’s typical of Hillary Clinton. She knows nothing, but the mouth never stops.\n"
    result = claimx.extract(said + said_next, model="offline", doc_id="t", cache=False)
    names = {a.id: a.name for a in result.actors}
    typical = [a for a in result.attributions if "the mouth never stops" in a.content.text]
    assert len(typical) == 1 and typical[0].cue is not None and typical[0].cue.text == "added:"
    assert (
        typical[0].content.text.startswith("It’s typical")
        and names[typical[0].speaker_id or ""] == "The governor"
    )
    # A line ending with a colon but no reporting verb ("Like the page:") announces nothing.
    result = claimx.extract("Like the page:\n\n" + said_next, model="offline", doc_id="t", cache=False)
    assert all(a.cue is None or a.cue.text != "the page:" for a in result.attributions)


def test_a_quotation_signed_after_a_dash_is_the_signers() -> None:
    # Each paragraph is one quotation and its signature; the verbs inside it are the signer's words.
    text = (
        "Voters Share Their Thoughts On The Debate.\n\n"
        "“He said it over and over, he is very proud of his actions. He believes nobody will change him.” "
        "― Veronica Cruz\n"
        "“Mostly he promotes fear, and he claims that he alone can fix it.” ― Julie Diaz.\n"
    )
    result = claimx.extract(text, model="offline", doc_id="t", cache=False)
    names = {a.id: a.name for a in result.actors}
    signed = {names.get(a.speaker_id or ""): a for a in result.attributions}
    cruz = signed["Veronica Cruz"]
    assert cruz.cue is not None and cruz.cue.text == "―"
    assert cruz.content.text.lstrip("“").startswith("He said it")
    assert "nobody will change him" in cruz.content.text
    diaz = signed["Julie Diaz"]
    assert diaz.cue is not None and diaz.cue.text == "―" and "he alone can fix it" in diaz.content.text


def test_a_headline_opened_by_a_name_and_a_colon_is_that_names() -> None:
    text = (
        "Pat Caddell: Democrat Voters Worried About Hillary Clinton’s Health Issues.\n\n"
        "In offering analysis of the polls, Caddell said the numbers were striking.\n"
    )
    result = claimx.extract(text, model="offline", doc_id="t", cache=False)
    names = {a.id: a.name for a in result.actors}
    headline = [a for a in result.attributions if "Health Issues" in a.content.text]
    assert len(headline) == 1 and headline[0].cue is not None and headline[0].cue.text == ":"
    assert names[headline[0].speaker_id or ""] == "Pat Caddell"
    assert headline[0].content.text.startswith("Democrat Voters")
    # "The Latest:" or a label in capitals names no one.
    for title in ("The Latest: Voters Worried About Health.", "FIX IS IN: Voters Worried About Health."):
        result = claimx.extract(title + "\n\nIt rained.\n", model="offline", doc_id="t", cache=False)
        assert all(a.cue is None or a.cue.text != ":" for a in result.attributions)
