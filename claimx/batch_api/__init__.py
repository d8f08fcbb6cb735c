"""The OpenAI Batch API from Python: a job folder that is the whole state of a batch job.

    from claimx import batch_api
    batch_api.submit(["articles/"], model="openai/gpt-4.1-mini", job="job1")
    batch_api.status("job1")                       # per batch: state, done / failed / total, age
    batch_api.collect("job1", "results.jsonl", wait=True, retry_failed="realtime")
    batch_api.cancel("job1")

Half the price of realtime calls, in the provider's own rate-limit pool, within 24 hours.
The request lines and the reading of the answers are :mod:`claimx.batchfile`'s: the
results are those of ``claimx extract``, and every answer fills the same response cache,
so a realtime rerun over the same inputs makes no calls.
"""

from claimx.batch_api.collect import CollectReport, collect
from claimx.batch_api.job import BatchStatus, cancel, status
from claimx.batch_api.manifest import BatchEntry, JobError, Manifest, load
from claimx.batch_api.submit import MAX_BYTES_PER_FILE, MAX_REQUESTS_PER_FILE, pending_cost, submit

__all__ = [
    "MAX_BYTES_PER_FILE",
    "MAX_REQUESTS_PER_FILE",
    "BatchEntry",
    "BatchStatus",
    "CollectReport",
    "JobError",
    "Manifest",
    "cancel",
    "collect",
    "load",
    "pending_cost",
    "status",
    "submit",
]
