"""Import jobs (the web UI's import page): store an upload, run its dry run, commit it.

Small files (up to IMPORT_INLINE_MAX_BYTES) are checked and committed inside the request. Larger ones go to
a Celery task; the page polls the job with htmx and draws a progress bar. The dry-run progress is written
to the job row (autocommit, visible at once); the commit runs in one transaction, so its progress goes to
the cache, which the poll reads.
"""
from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from apps.common import events
from apps.common.cache import cache_delete, cache_get, cache_set
from apps.common.exceptions import ApplicationError
from apps.security.enqueue import enqueue_on_commit

from . import imports
from .models import ImportJob

logger = logging.getLogger(__name__)

PARSED_SUFFIX = ".parsed.json"  # a file kept beside an upload: its read (a BOM's, apps.inventory.bom)


def import_dir() -> Path:
    d = Path(settings.MEDIA_ROOT) / "imports"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _progress_key(job: ImportJob) -> str:
    return f"web:import-progress:{job.token}"


def import_job_progress(job: ImportJob) -> tuple[int, int]:
    """(done, total) rows of a running job."""
    if job.status == ImportJob.Status.COMMITTING:
        done = cache_get(_progress_key(job))  # cache down: the row's own count
        if done is not None:
            return int(done), job.total_rows
    return job.processed_rows, job.total_rows


def import_job_create(*, organization, user, kind: str, upload) -> ImportJob:
    """Check the upload by content (CSV text or an XLSX workbook, size cap, zip-bomb guard) and store it."""
    from apps.security.uploads import UploadRejected, upload_check, xlsx_check

    if kind not in imports.KINDS:
        raise ApplicationError("Choose what the file contains.", fields={"kind": ["Unknown kind."]})
    max_bytes = settings.IMPORT_MAX_BYTES
    try:
        detected = upload_check(upload, allowed={"csv", "xlsx"}, max_bytes=max_bytes)
        if detected == "xlsx":
            xlsx_check(upload)
    except UploadRejected as exc:
        raise ApplicationError(str(exc), code="upload_rejected", fields={"file": [str(exc)]}) from exc
    name = Path(upload.name or "upload").name[:200]
    suffix = Path(name).suffix.lower()
    if (detected, suffix) not in (("csv", ".csv"), ("csv", ".txt"), ("xlsx", ".xlsx")):
        msg = f"The file's content is {detected.upper()} but its name ends in {suffix or 'nothing'}."
        raise ApplicationError(msg, code="upload_rejected", fields={"file": [msg]})
    job = ImportJob(organization=organization, user=user, kind=kind, fmt=detected, filename=name,
                    size=upload.size or 0, path="")
    upload.seek(0)
    return import_job_store(job, upload, suffix=detected)


def import_job_store(job: ImportJob, upload, *, suffix: str) -> ImportJob:
    """Write an unsaved job's upload under the import folder in chunks, then save the job (it points at the
    file) and purge old files."""
    target = import_dir() / f"{job.token}.{suffix}"
    with open(target, "wb") as out:
        for block in upload.chunks():
            out.write(block)
    job.path = str(target)
    job.save()
    import_files_purge()
    return job


def import_files_purge(*, older_than: dt.timedelta = dt.timedelta(days=1), limit: int = 200) -> int:
    """Delete the stored files of uploads left unimported for a day (the job rows stay, as a record)."""
    cutoff = timezone.now() - older_than
    stale = (ImportJob.objects.filter(created_at__lt=cutoff).exclude(path="")
             .exclude(status__in=[ImportJob.Status.COMMITTING, ImportJob.Status.VALIDATING]).order_by("pk")[:limit])
    n = 0
    for job in stale:
        Path(job.path).unlink(missing_ok=True)
        Path(job.path + PARSED_SUFFIX).unlink(missing_ok=True)
        ImportJob.objects.filter(pk=job.pk).update(path="")
        n += 1
    return n


def import_job_validate(*, job: ImportJob) -> ImportJob:
    """The dry run. Saves the report (errors, preview) on the job; writes nothing else."""
    job.status = ImportJob.Status.VALIDATING
    job.save(update_fields=["status", "updated_at"])

    def progress(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(processed_rows=done, total_rows=total)

    try:
        report = imports.import_validate(organization=job.organization, kind=job.kind, path=Path(job.path),
                                         fmt=job.fmt, progress=progress, vendor_choices=job.vendor_choices)
    except ApplicationError as exc:
        report = imports.ImportReport(kind=job.kind)
        report.add_error(1, "file", exc.message)
    except Exception:  # a bug or a file no reader anticipated: logged in full, the user gets no internals
        logger.exception("import %s: dry run failed", job.token)
        report = imports.ImportReport(kind=job.kind)
        report.add_error(1, "file", "The file could not be read. Check it is the template's CSV or XLSX and upload "
                                    "it again; if it still fails, give the administrator this import's link.")
    job.refresh_from_db(fields=["processed_rows", "total_rows"])
    job.report = report.as_dict()
    job.total_rows = report.total_rows
    job.processed_rows = report.total_rows
    job.status = ImportJob.Status.VALID if report.ok else ImportJob.Status.INVALID
    job.save()
    return job


def import_job_commit(*, job: ImportJob, actor) -> ImportJob:
    """Save every row or none. On failure the job keeps the reason and can be fixed by a new upload."""
    if job.status not in (ImportJob.Status.VALID, ImportJob.Status.COMMITTING):
        raise ApplicationError("Only a file whose dry run found no errors can be imported.", code="import_state")
    if not job.path or not Path(job.path).is_file():
        raise ApplicationError("The uploaded file is no longer kept (uploads expire after a day); upload it again.",
                               code="import_expired")
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.COMMITTING)
    job.status = ImportJob.Status.COMMITTING
    key = _progress_key(job)

    def progress(done: int, total: int) -> None:
        cache_set(key, done, 3600)

    try:
        report = imports.import_commit(organization=job.organization, kind=job.kind, path=Path(job.path),
                                       fmt=job.fmt, actor=actor, filename=job.filename, progress=progress,
                                       vendor_choices=job.vendor_choices, import_job_id=job.pk)
    except ApplicationError as exc:
        job.status = ImportJob.Status.FAILED
        job.error = exc.message
        job.save(update_fields=["status", "error", "updated_at"])
        raise
    job.report = report.as_dict()
    job.status = ImportJob.Status.COMMITTED
    job.processed_rows = report.total_rows
    job.save()
    cache_delete(key)
    Path(job.path).unlink(missing_ok=True)
    # New units of already-screened vendors need their risk status now and their plans (screening and
    # remediation subscribe, on commit). New vendors are screened through VendorsChanged.
    events.publish(events.EquipmentImported(vendor_ids=frozenset(report.vendor_ids),
                                            equipment_ids=frozenset(report.equipment_ids)))
    return job


def import_job_choose_vendors(*, job: ImportJob, choices: dict[str, str]) -> ImportJob:
    """Record the officer's answer to near-duplicate vendor names of the dry run: {name: vendor id (one of the
    names' suggestions) or "new" (create the name as written) or "" (no answer: the name is created, as before)}.
    Every name must be one of the job's warnings and every id one of that name's suggestions, still recorded;
    anything else is refused whole (nothing stored). The caller re-runs the dry run (`import_job_start`) with the
    choices applied: no re-upload."""
    if job.status not in (ImportJob.Status.VALID, ImportJob.Status.INVALID, ImportJob.Status.FAILED):
        raise ApplicationError("Vendors can be chosen only between the dry run and the import.", code="import_state")
    if not job.path or not Path(job.path).is_file():
        raise ApplicationError("The uploaded file is no longer kept (uploads expire after a day); upload it again.",
                               code="import_expired")
    warned: dict[str, list[dict]] = (job.report or {}).get("close_vendors", {})
    updated = dict(job.vendor_choices or {})
    errors: list[str] = []
    for name, value in choices.items():
        value = (value or "").strip()
        if name not in warned:
            errors.append(f"\u201c{name}\u201d is not one of this file's near-duplicate vendor names.")
        elif value == "":
            updated.pop(name, None)
        elif value == "new":
            updated[name] = "new"
        elif value.isdigit() and int(value) in {o["id"] for o in warned[name]}:
            updated[name] = int(value)
        else:
            errors.append(f"Vendor {value[:20]!r} is not one of the suggestions for \u201c{name}\u201d.")
    if errors:
        raise ApplicationError(" ".join(errors[:5]), code="import_choice_invalid", fields={"vendor_choices": errors})
    imports.vendor_choices_resolve(updated)  # a suggestion deleted or merged since the dry run: refused now
    # A conditional UPDATE: a commit started meanwhile (another tab) keeps its job untouched.
    changed = ImportJob.objects.filter(pk=job.pk, status=job.status).update(
        vendor_choices=updated, status=ImportJob.Status.VALIDATING, processed_rows=0, error="",
        updated_at=timezone.now())
    if not changed:
        raise ApplicationError("The import changed meanwhile (it is being imported): reload the page.",
                               code="import_state")
    job.refresh_from_db()
    return job


def import_job_start(*, job: ImportJob, commit: bool, actor=None) -> ImportJob:
    """Run inline for small files; hand larger ones to the worker (after this transaction commits)."""
    if job.size <= settings.IMPORT_INLINE_MAX_BYTES:
        if commit:
            return import_job_commit(job=job, actor=actor)
        return import_job_validate(job=job)
    if commit:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.COMMITTING, processed_rows=0)
    # After commit; a down broker keeps the task in the outbox instead of failing the upload.
    enqueue_on_commit("apps.inventory.tasks.import_job_run", job.pk, commit, actor.pk if actor else None)
    job.refresh_from_db()
    return job
