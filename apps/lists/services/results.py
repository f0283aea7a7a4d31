"""What an import or a refresh returns (`ImportResult`) and the refusals it raises."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from apps.common.exceptions import ApplicationError

from ..models import FetchRun, ListSource


@dataclass
class ImportResult:
    """What one import or refresh did; `as_dict()` is the JSON printed by `import_list --json`."""

    source: str
    status: str  # active | unchanged | quarantined | failed
    version: int | None = None
    run: int | None = None
    entries: int = 0
    added: int = 0
    removed: int = 0
    changed: int = 0
    sha256: str = ""
    reason: str = ""
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        data = asdict(self)
        data.update(data.pop("extra"))
        return data


class SourceBusy(ApplicationError):
    """Another process holds the source's refresh lease."""

    def __init__(self, source: ListSource, until: dt.datetime | None):
        super().__init__(f"Another refresh of {source.code} is running (lease until {until}).", code="busy")
        self.until = until


class RunAlreadyFinished(ApplicationError):
    """Another delivery of the same task (a re-sent or redelivered message) finished the run already: this
    one skips it instead of refreshing twice."""

    def __init__(self, run: FetchRun):
        super().__init__(f"Run {run.pk} already finished ({run.status}).", code="finished")
        self.run_id = run.pk


class RunRetryable(ApplicationError):
    """A transient failure (a database error) after which the run and its version were recorded FAILED and
    the partial entries deleted: the task retries the same run with backoff."""

    def __init__(self, message: str, *, run_id: int | None):
        super().__init__(message, code="retryable")
        self.run_id = run_id
