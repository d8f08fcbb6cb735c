"""Word lists for stances: verbs that take a side, and the tone of words.

Plain data, kept apart from the code that reads it so the lists can grow without
touching the readers (:mod:`claimx.offline.stances`, :mod:`claimx.offline.stance_pairs`).
"""

from __future__ import annotations

import re

from claimx.schema import Stance

__all__ = ["NEGATIONS", "NEGATIVE", "POSITIVE", "SAY_VERBS", "STANCE_VERBS", "VERB_STANCE", "tone"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Verbs (every form) whose subject takes a side on their object.
STANCE_VERBS: dict[Stance, tuple[str, ...]] = {
    Stance.SUPPORT: tuple(
        """
        support supports supported supporting back backs backed backing endorse endorses endorsed
        endorsing welcome welcomes welcomed welcoming praise praises praised praising applaud applauds
        applauded defend defends defended defending hail hails hailed favor favors favored favour
        favours favoured champion champions championed thanked thanks congratulated congratulates
        embraced embraces lauded lauds commended commends nominated nominates nominate appointed
        appoints pardoned pardons rallied rallies vouched vouches urged urges cheered cheers
        """.split()  # noqa: SIM905  (a word list reads better as text)
    ),
    Stance.OPPOSE: tuple(
        """
        oppose opposes opposed opposing criticize criticizes criticized criticizing criticise criticises
        criticised condemn condemns condemned condemning slams slammed slamming blast blasts blasted
        blasting attack attacks attacked attacking accuse accuses accused accusing reject rejects
        rejected rejecting denounce denounces denounced blame blames blamed blaming mock mocks mocked
        mocking rips ripped hammers hammered decries decried lambasts lambasted lambasting disputes
        disputed challenges challenged sued sues suing targeted targets warned warns threatened
        threatens ridiculed ridicules berated berates scolded scolds questioned questions fired fires
        sanctioned sanctions boycotted boycotts protested protests assailed assails insulted insults
        vetoed vetoes impeached banned bans arrested charged indicted investigated investigating
        derided derides dismissed dismisses excoriated excoriates chastised chastises rebuked rebukes
        taunted taunts faulted faults knocked knocks bashed bashes trashed trashes smeared smears
        obstructed obstructs blocked blocks blocking resisted resists defied defies denied denies
        fought fights fighting sued subpoenaed subpoenas ousted ousts undermined undermines
        """.split()  # noqa: SIM905
    ),
}
VERB_STANCE: dict[str, Stance] = {verb: stance for stance, verbs in STANCE_VERBS.items() for verb in verbs}

#: Reporting verbs: "X said" marks X as a speaker, so the sentence is X's.
SAY_VERBS = _words(
    """
    said says say saying told tells argued argues added adds wrote writes claimed claims insisted
    insists declared declares stated states tweeted tweets asserted asserts noted notes suggested
    suggests explained explains contended contends maintained maintains acknowledged acknowledges
    """
)
NEGATIONS = _words("not no never n't nothing neither nor without refused refuses declined declines")

POSITIVE = _words(
    """
    support supports supported supporting praise praised praising great good best better strong stronger
    success successful win wins won winning thank thanks thanked welcome welcomed welcomes endorse
    endorsed endorsement proud honor honored help helped helps hope agree agreed right love loves loved
    admire admired respect respected trust trusted brilliant smart wonderful fantastic terrific amazing
    incredible important effective leader leadership champion backing ally allies friend friends fair
    qualified tremendous applaud applauded hailed credit credited defend defended backed protect
    protected deserve deserves deserved historic bipartisan hero heroes courage courageous honest
    integrity commitment committed victory celebrate celebrated grateful praiseworthy
    """
)
NEGATIVE = _words(
    """
    attack attacks attacked attacking criticize criticized criticizes criticism critic critics blame
    blamed blames wrong fail failed fails failure disaster disastrous terrible bad worst worse corrupt
    corruption lie lies lied liar lying dangerous danger threat threatens threatened unfit racist racism
    illegal fraud scandal crisis hate hateful against oppose opposed opposes opposition reject rejected
    rejects condemn condemned condemns slam slammed accuse accused accuses weak incompetent crooked fake
    false never nothing disgrace disgraceful shameful shame outrageous ridiculous absurd reckless
    irresponsible unacceptable sexist bigot bigoted demagogue dishonest radical extreme
    extremist abuse abused mistake mistakes problem problems risk undermine undermines
    undermined destroy destroyed damage damaged failing insult insulted mock mocked denounce denounced
    warn warned sue sued investigate investigation impeach impeachment resign deny denied stupid dumb
    crazy sad pathetic loser blasted blast obstruct obstruction partisan hypocrisy hypocrite hypocritical
    cover-up coverup misconduct violation violated violate blocked block refuse refused refuses
    sham hoax witch hunt lawsuit charges charged indicted guilty collusion controversial controversy
    slammed ripped decried lambasted chaos chaotic divisive inflammatory offensive angry anger furious
    outrage outraged assault threats accusations allegations alleged fired dismissed denounced
    """
)
_TOKEN = re.compile(r"[a-z]+(?:'t)?")


def tone(text: str) -> tuple[int, int]:
    """How many words of ``text`` speak well, and how many ill (a negation counts half toward ill)."""
    words = _TOKEN.findall(text.lower())
    positive = sum(w in POSITIVE for w in words)
    negative = sum(w in NEGATIVE for w in words) + sum(w in NEGATIONS for w in words) // 2
    return positive, negative
