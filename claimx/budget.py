"""A cost limit on a job: refuse one whose estimate exceeds it, stop one that reaches it.

``--max-cost`` (``max_cost=``) is checked twice. Before a job starts, its estimate
(:class:`~claimx.pricing.CostEstimate`: every call's input as rendered, and its whole
output budget) must fit, or nothing runs (:func:`check_estimate`). While it runs, a
:class:`CostBudget` admits a document only when what was spent, what the documents in
flight may still spend and this document's own estimate fit under the limit; the
first one that does not fit stops the job: documents in flight finish and are kept,
none starts after it. A limit on a model whose price is unknown is an error, never
ignored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from claimx.errors import ClaimxError, ConfigError
from claimx.pricing import CostEstimate, format_usd
from claimx.schema import Extraction

__all__ = [
    "CostBudget",
    "CostLimitError",
    "CostLimitReached",
    "NotStarted",
    "check_estimate",
    "spend",
    "unknown_price_error",
]


class NotStarted(Exception):
    """Raised by a batch's work for a document it declines to start (a cost limit reached).

    The batch runner (:func:`claimx.batch.run_many`) gives the document no line (a resumed
    run does it) and starts no other document.
    """


class CostLimitError(ConfigError):
    """A job's estimated cost exceeds its ``--max-cost``: nothing was run."""

    cause = "cost_limit"


class CostLimitReached(ClaimxError):
    """A job stopped at its cost limit: what finished is kept, the rest was not started."""

    cause = "cost_limit"

    def __init__(self, message: str, *, spent_usd: float, not_started: int) -> None:
        super().__init__(message)
        self.spent_usd = spent_usd
        self.not_started = not_started


def unknown_price_error(model_id: str) -> ConfigError:
    """The error for a cost limit on a model claimx has no price for."""
    return ConfigError(
        f"a cost limit was given, but the price of {model_id} is unknown: give it in a prices file "
        '(prices=…, or $CLAIMX_PRICES; {"<model>": {"input": USD, "output": USD}} per million tokens)',
        cli_message=f"--max-cost was given, but the price of {model_id} is unknown: give it in a prices "
        "file (--prices FILE or $CLAIMX_PRICES) or leave out --max-cost",
    )


def check_estimate(estimate: CostEstimate, max_cost: float, model_id: str) -> None:
    """Raise unless ``estimate`` fits under ``max_cost`` (a :class:`CostLimitError`, or unknown price)."""
    if estimate.cost_usd is None:
        raise unknown_price_error(model_id)
    if estimate.cost_usd > max_cost:
        raise CostLimitError(
            f"the estimated cost, {estimate.describe()}, exceeds the limit of {format_usd(max_cost)} "
            "(max_cost=): nothing was run",
            cli_message=f"the estimated cost, {estimate.describe()}, exceeds --max-cost "
            f"{format_usd(max_cost)}: nothing was run",
        )


@dataclass
class CostBudget:
    """The money a running job may still spend, shared by every document of the job.

    Each document reserves its estimated cost before it starts (:meth:`admit`) and settles
    what it really cost when it ends (:meth:`settle`). Once a document is refused the
    budget is closed: no other one starts, however small.
    """

    limit_usd: float
    spent_usd: float = 0.0
    reserved_usd: float = 0.0
    #: Documents refused once the budget closed (at least the one that did not fit).
    not_started: int = 0
    closed: bool = False
    _holds: dict[str, float] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.limit_usd < 0:
            raise ConfigError(f"a cost limit must be 0 or more, got {self.limit_usd}")

    def admit(self, doc_id: str, estimate_usd: float) -> bool:
        """Reserve ``estimate_usd`` for ``doc_id`` when it fits; False (and closed) when not."""
        if not self.closed and self.spent_usd + self.reserved_usd + estimate_usd <= self.limit_usd:
            self._holds[doc_id] = estimate_usd
            self.reserved_usd += estimate_usd
            return True
        self.closed = True
        self.not_started += 1
        return False

    def settle(self, doc_id: str, cost_usd: float | None) -> None:
        """Replace ``doc_id``'s reservation by what it cost (its reservation, when that is unknown)."""
        held = self._holds.pop(doc_id, 0.0)
        self.reserved_usd = max(0.0, self.reserved_usd - held)
        self.spent_usd = round(self.spent_usd + (held if cost_usd is None else cost_usd), 8)

    def stopped_error(self) -> CostLimitReached:
        """The error that ends a job this budget stopped, saying what was spent and what is left."""
        return CostLimitReached(
            f"stopped at the cost limit of {format_usd(self.limit_usd)}: {format_usd(self.spent_usd)} "
            "spent; every finished document is kept, the next did not fit and none started after it",
            spent_usd=self.spent_usd,
            not_started=self.not_started,
        )


async def spend(
    budget: CostBudget,
    doc_id: str,
    estimate: CostEstimate,
    run: Callable[[], Awaitable[Extraction]],
) -> Extraction:
    """Run one document's work within ``budget``: admitted on its estimate, settled on its cost.

    Raises :class:`NotStarted` when the document does not fit. A failed document paid for
    its calls: it is settled on what they cost when its error says (``usage``), else on its
    reservation.
    """
    if not budget.admit(doc_id, estimate.cost_usd or 0.0):
        raise NotStarted(doc_id)
    cost: float | None = None
    try:
        extraction = await run()
        cost = extraction.meta.usage.cost_usd
        return extraction
    except ClaimxError as exc:
        cost = exc.usage.cost_usd if exc.usage is not None else None
        raise
    finally:
        budget.settle(doc_id, cost)
