"""Uploading a list file from the browser (air-gapped sites): the same pipeline as `manage.py import_list`.

The upload is checked (size, text content: a list file is CSV, XML or JSON; never a name or a client's
Content-Type), copied chunk by chunk into a private temporary directory (Django has already spooled anything
over FILE_UPLOAD_MAX_MEMORY_SIZE to disk; nothing reads a whole file into memory), then handed to
`list_version_import()`: sha256, the source's parser, the diff, the activation guard and quarantine, exactly
as a download or `import_list`. The temporary copy is deleted afterwards; the engine keeps the compressed raw
file with the version, as for every import.
"""
from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from apps.accounts.policies import Action, authorize
from apps.audit.services import audit_record
from apps.security.uploads import UploadRejected, upload_check

from ..choices import RunStatus, RunTrigger, VersionStatus
from ..models import ListSource, ListVersion
from ..selectors import list_version_active
from .failures import fetch_run_failure_explain
from .ingest import list_version_import
from .results import ImportResult

LIST_FILE_KINDS = {"csv", "txt", "xml", "json"}  # every parser reads text (zip/gzip: extract first)


@dataclass
class UploadOutcome:
    """What an upload did: the engine's result, and one sentence for the person who uploaded. `ok` is False
    when the file was refused (nothing of it was loaded; the run records the attempt)."""

    result: ImportResult
    ok: bool
    message: str


def _max_bytes() -> int:
    return int(getattr(settings, "LISTS_UPLOAD_MAX_BYTES", 50 * 2**20))


def _safe_name(name: str, index: int, taken: set[str]) -> str:
    """The name the parser sees: the uploaded file's base name, lower-cased, reduced to safe characters (a
    multi-file format recognises its files by name: sdn.csv, add.csv...; a delta by "delta" in the name)."""
    base = re.sub(r"[^a-z0-9._-]", "_", Path(name or "").name.strip().lower()).lstrip(".")
    base = base[:120] or f"file{index}"
    if base in taken:
        base = f"{index}-{base}"
    taken.add(base)
    return base


def list_version_upload(*, source: ListSource, files: Sequence, user, fmt: str | None = None,
                        now: dt.datetime | None = None) -> UploadOutcome:
    """Import uploaded file(s) of one publication of `source` through the one ingestion engine.

    Raises Denied (403) for someone who may not import this list (apps.accounts.policies IMPORT_LIST),
    UploadRejected for a file refused before anything is stored (empty, too large, not text). Everything the
    engine refuses (a parse error, the source busy) is returned with ok=False and the failure explained; a
    file already loaded (same sha256) is returned ok=True with a message that says so."""
    authorize(user, Action.IMPORT_LIST, source)
    files = [f for f in files if f is not None]
    if not files:
        raise UploadRejected("Choose the list file to upload.", field="files")
    limit = int(getattr(settings, "DATA_UPLOAD_MAX_NUMBER_FILES", 20))
    if len(files) > limit:
        raise UploadRejected(f"At most {limit} files per upload.", field="files")
    max_bytes = _max_bytes()
    total = 0
    for f in files:
        try:
            upload_check(f, allowed=LIST_FILE_KINDS, max_bytes=max_bytes)
        except UploadRejected as exc:
            raise UploadRejected(f"{Path(f.name or '').name}: {exc.message}", field="files") from exc
        total += int(getattr(f, "size", 0) or 0)
    if total > max_bytes:
        raise UploadRejected(f"The files add up to {total} bytes (limit {max_bytes}).", field="files")

    now = now or timezone.now()
    with tempfile.TemporaryDirectory(prefix="vr-list-upload-") as tmp:
        paths, taken = [], set()
        for index, f in enumerate(files):
            path = Path(tmp) / _safe_name(getattr(f, "name", ""), index, taken)
            f.seek(0)
            with path.open("wb") as out:
                for chunk in f.chunks() if hasattr(f, "chunks") else iter(lambda f=f: f.read(1 << 20), b""):
                    out.write(chunk)
            paths.append(path)
        result = list_version_import(source=source, paths=paths, trigger=RunTrigger.IMPORT, user=user, fmt=fmt,
                                     now=now)
    audit_record(action="listsource.upload", actor=user, obj=source, organization_id=source.organization_id,
                 changes={"files": [p.name for p in paths], "sha256": result.sha256, "status": result.status,
                          "run": result.run, "version": result.version})
    return _outcome(source, result, now=now)


def _outcome(source: ListSource, result: ImportResult, *, now: dt.datetime) -> UploadOutcome:
    version = f"version #{result.version}"
    if result.status == RunStatus.ACTIVE:
        return UploadOutcome(result, True, f"Loaded: {version} of {source.name} is now in use, {result.entries} "
                                           f"entries (+{result.added} −{result.removed} ~{result.changed}).")
    if result.status == RunStatus.UNCHANGED:
        seen = ListVersion.objects.filter(pk=result.version).values_list("status", flat=True).first()
        if seen == VersionStatus.REJECTED:
            return UploadOutcome(result, True, f"This file was uploaded before: {version}, with the same content "
                                               "(SHA-256), was rejected. The list in use stays as it is.")
        return UploadOutcome(result, True, f"This file is already loaded: it is {version}, the one in use (same "
                                           "SHA-256). Nothing changed.")
    if result.status == RunStatus.QUARANTINED:
        who = ("a registry curator" if source.organization_id is None
               else "an administrator of the organisation")
        if result.reason.startswith("Same content as version"):
            return UploadOutcome(result, True, f"This file was uploaded before: {version} has the same content "
                                               f"(SHA-256) and waits for {who} to decide.")
        return UploadOutcome(result, True, f"Quarantined: {version} was loaded but not put in use: "
                                           f"{result.reason} It waits for {who} to approve or reject it.")
    active = list_version_active(source.pk)
    explained = fetch_run_failure_explain(reason=result.reason, source=source, active=active, now=now)
    return UploadOutcome(result, False, f"The file was not loaded. {explained.headline} {explained.in_use}")

