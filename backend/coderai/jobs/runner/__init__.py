"""The job runner: claims job items from PostgreSQL under a lease (`claims`), processes each
one (`items`) on a pool of worker coroutines with a heartbeat (`runner`). Any number of API
processes and `coderai worker`s share the work; see docs/ARCHITECTURE.md, "The path of a job".
"""

from coderai.jobs.runner.claims import ClaimedItem
from coderai.jobs.runner.runner import JobRunner

__all__ = ["ClaimedItem", "JobRunner"]
