"""``--model oracle``: the gold labels answered over real HTTP, so they take a real model's path.

No capable model is reachable from where claimx is tested, so the pipeline's
ceiling is measured by feeding it answers whose quality is known. The oracle is
an OpenAI-compatible server (:class:`claimx.testing.ScriptedServer`) that reads
each request the way a model does: it finds the article's numbered sentences in
the rendered prompt, recognises which registered sample (and which stretch of
it, for a long article read in chunks) they are, and answers with that
stretch's gold in the response schema (:mod:`claimx.evaluate.oracle_answer`).
The answer then goes through everything a model's answer goes through: the
OpenAI client, instructor's validation, grounding, linking, and the merging of
chunks. Whatever the gold loses on the way is what the pipeline loses.

``oracle:noisy[?seed=N&rate=R&slips=…]`` adds the slips real models make
(:mod:`claimx.evaluate.oracle_noise`); :class:`NoiseAudit` counts every slip
sent and every fabrication that reached a result.

Specs: ``oracle``, ``oracle:noisy``, each with optional ``?chunk_tokens=N``
(read articles in chunks of about N tokens, to measure chunking and merging).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from claimx.errors import ConfigError
from claimx.evaluate.oracle_answer import GoldAnswers
from claimx.evaluate.oracle_noise import FABRICATIONS, Injected, Noise, add_slips
from claimx.evaluate.predictors import Description
from claimx.evaluate.sample import Sample
from claimx.extract import ExtractOptions, Extractor
from claimx.schema import Extraction
from claimx.testing import RecordedRequest, Reply, ScriptedServer, article_sentences

__all__ = ["NoiseAudit", "OraclePredictor", "OracleServer", "OracleSpec", "is_oracle"]

ORACLE = "oracle"


def is_oracle(model: str) -> bool:
    """Whether a ``--model`` value names the oracle."""
    return model == ORACLE or model.startswith((f"{ORACLE}:", f"{ORACLE}?"))


@dataclass(frozen=True)
class OracleSpec:
    """A parsed ``oracle[:noisy][?options]`` spec."""

    spec: str
    noise: Noise | None = None
    chunk_tokens: int | None = None

    @classmethod
    def parse(cls, spec: str) -> OracleSpec:
        """``oracle``, ``oracle?chunk_tokens=800``, ``oracle:noisy?seed=1&rate=0.2&slips=normalisation``."""
        head, _, query = spec.partition("?")
        options = dict(parse_qsl(query, keep_blank_values=True))
        chunk = options.pop("chunk_tokens", None)
        try:
            chunk_tokens = int(chunk) if chunk else None
        except ValueError as exc:
            raise ConfigError(f"{spec!r}: chunk_tokens must be an integer") from exc
        if head == ORACLE:
            if options:
                raise ConfigError(f"unknown oracle option(s) {sorted(options)} in {spec!r}")
            return cls(spec, None, chunk_tokens)
        if head == f"{ORACLE}:noisy":
            return cls(spec, Noise.from_options(options), chunk_tokens)
        raise ConfigError(f"unknown oracle {spec!r}: use oracle or oracle:noisy[?seed=N&rate=R]")


@dataclass
class _Known:
    sample: Sample
    answers: GoldAnswers
    sent: list[tuple[int, int]] = field(default_factory=list)  # stretches answered
    answered: set[str] = field(default_factory=set)  # gold keys some stretch's answer carried
    injected: list[Injected] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


class OracleServer:
    """An OpenAI-compatible server answering each request from the gold of the sample it shows.

    Register samples with :meth:`add`; a request whose article is no registered sample
    gets a 400 naming the problem (what a model server does with a request it cannot serve).
    """

    def __init__(self, noise: Noise | None = None) -> None:
        self.noise = noise
        self._lock = threading.Lock()
        self._samples: dict[str, _Known] = {}
        # (sentence number, its text as shown) → ids of the samples that have it.
        self._index: dict[tuple[int, str], list[str]] = {}
        self.server = ScriptedServer(self)

    @property
    def base_url(self) -> str:
        """Where the server listens."""
        return self.server.base_url

    def start(self) -> OracleServer:
        """Start serving."""
        self.server.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.server.stop()

    def add(self, sample: Sample) -> None:
        """Know this sample, so requests about its article are answered with its gold."""
        answers = GoldAnswers(sample)
        with self._lock:
            if sample.id in self._samples:
                return
            self._samples[sample.id] = _Known(sample, answers)
            for sentence in answers.document.sentences:
                key = (sentence.number, " ".join(sentence.text.split()))
                self._index.setdefault(key, []).append(sample.id)

    def known(self, sample_id: str) -> _Known:
        """What was sent about a registered sample."""
        with self._lock:
            return self._samples[sample_id]

    def _find(self, lines: list[tuple[int, str]]) -> _Known | None:
        if not lines:
            return None
        with self._lock:
            for sample_id in self._index.get(lines[0], []):
                known = self._samples[sample_id]
                sentences = known.answers.document.sentences
                if all(
                    number <= len(sentences) and " ".join(sentences[number - 1].text.split()) == text
                    for number, text in lines
                ):
                    return known
        return None

    def __call__(self, request: RecordedRequest) -> Reply:
        """Answer one chat-completion request (a failure of the oracle itself is a 400 saying so)."""
        try:
            return self._reply(request)
        except Exception as exc:  # an answer the oracle cannot build fails the document, not the server
            return Reply.error(400, f"the oracle could not answer: {type(exc).__name__}: {exc}")

    def _reply(self, request: RecordedRequest) -> Reply:
        lines = article_sentences(request)
        known = self._find(lines)
        if known is None:
            return Reply.error(400, "the oracle knows no sample with the article in this request")
        first, last = lines[0][0], lines[-1][0]
        answer = known.answers.answer(first, last)
        injected = add_slips(answer, known.sample.id, self.noise, first, last) if self.noise else []
        with self._lock:
            known.sent.append((first, last))
            known.answered.update(answer.answered)
            known.injected.extend(injected)
            for key, reason in answer.skipped.items():
                known.skipped.setdefault(key, reason)
        chars = sum(len(text) for _, text in lines)
        return Reply.completion(
            answer.to_json(),
            prompt_tokens=max(1, chars // 4),
            completion_tokens=max(1, 30 * len(answer.statements)),
        )


class NoiseAudit:
    """Slips sent and fabrications that reached a result, over every sample audited."""

    def __init__(self) -> None:
        self.injected: Counter[str] = Counter()
        self.fabrications_sent = 0
        self.fabrications_reached = 0
        self.fabrications_rejected = 0
        self.reached: list[dict[str, str]] = []
        self.reached_by_slip: Counter[str] = Counter()

    def add(self, doc_id: str, injected: list[Injected], prediction: Extraction) -> None:
        """Count one sample's slips; a fabrication reached it when its claim is among the result's."""
        seen: dict[str, Injected] = {}
        for record in injected:
            seen.setdefault(record.key, record)  # an item shown in two chunks got the same slips
        claims = {" ".join(c.text.split()) for c in prediction.claims}
        rejected_quotes = {
            " ".join(str(r.item.get("quote", "")).split()) for r in prediction.rejected if r.item
        }
        for record in seen.values():
            self.injected.update(s.value for s in record.slips)
            if not FABRICATIONS.intersection(record.slips):
                continue
            self.fabrications_sent += 1
            if record.claim is not None and " ".join(record.claim.split()) in claims:
                self.fabrications_reached += 1
                slip = next(s.value for s in record.slips if s in FABRICATIONS)
                self.reached_by_slip[slip] += 1
                self.reached.append(
                    {"doc_id": doc_id, "key": record.key, "slip": slip, "claim": record.claim}
                )
            elif " ".join(record.quote.split()) in rejected_quotes:
                self.fabrications_rejected += 1

    def as_dict(self) -> dict[str, Any]:
        """The audit as JSON-ready data."""
        return {
            "injected": dict(sorted(self.injected.items())),
            "fabrications_sent": self.fabrications_sent,
            "fabrications_reached": self.fabrications_reached,
            "fabrications_rejected": self.fabrications_rejected,
            "reached_by_slip": dict(sorted(self.reached_by_slip.items())),
        }


class OraclePredictor:
    """The oracle as an eval predictor: gold answers over HTTP through a real Extractor."""

    def __init__(self, spec: str, *, prompt: str | None = None, concurrency: int = 4) -> None:
        self.spec = OracleSpec.parse(spec)
        self.server = OracleServer(self.spec.noise).start()
        try:
            self.extractor = Extractor(
                "openai/oracle",
                prompt=prompt,
                cache=False,  # answers are free and the port changes: caching would only fill the disk
                base_url=self.server.base_url,
                options=ExtractOptions(
                    include_text=False, concurrency=concurrency, chunk_tokens=self.spec.chunk_tokens
                ),
            )
        except BaseException:
            self.server.stop()
            raise
        noise = self.spec.noise
        parameters: dict[str, Any] = {"cache": False, "concurrency": concurrency}
        if self.spec.chunk_tokens:
            parameters["chunk_tokens"] = self.spec.chunk_tokens
        if noise is not None:
            parameters.update(seed=noise.seed, rate=noise.rate, slips=sorted(s.value for s in noise.slips))
        self.description = Description(
            model=spec,
            provider="claimx",
            prompt_id=self.extractor.prompt.id,
            prompt_sha256=self.extractor.prompt.sha256,
            response_schema_sha256=self.extractor.schema_sha256,
            parameters=parameters,
        )
        self.audit = NoiseAudit() if noise is not None else None
        self.skipped: Counter[str] = Counter()

    async def predict(self, sample: Sample) -> Extraction:
        """The pipeline's extraction of ``sample`` from the oracle's answers."""
        self.server.add(sample)
        extraction = await self.extractor.aextract(sample.text, doc_id=sample.id)
        known = self.server.known(sample.id)
        for key, reason in known.skipped.items():
            if key not in known.answered:
                self.skipped[reason] += 1
        if self.audit is not None:
            self.audit.add(sample.id, known.injected, extraction)
        return extraction

    def notes(self) -> list[str]:
        """What the oracle could not say, and what the noise did: lines for the end of a run."""
        lines = [f"oracle left unanswered: {n} × {reason}" for reason, n in self.skipped.most_common()]
        if self.audit is not None:
            audit = self.audit
            slips = ", ".join(f"{k} {v}" for k, v in sorted(audit.injected.items())) or "none"
            lines.append(f"oracle slips sent: {slips}")
            by_slip = ", ".join(f"{k} {v}" for k, v in sorted(audit.reached_by_slip.items()))
            which = f" ({by_slip})" if by_slip else ""
            lines.append(
                f"oracle fabrications: {audit.fabrications_sent} sent, {audit.fabrications_reached} "
                f"reached the result{which}, {audit.fabrications_rejected} rejected"
            )
        return lines

    async def aclose(self) -> None:
        """Close the client, then the server."""
        try:
            await self.extractor.aclose()
        finally:
            self.server.stop()
