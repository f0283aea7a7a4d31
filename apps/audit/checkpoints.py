"""Signed checkpoints of the audit chain's head, kept outside the database.

The keyed chain shows any changed or removed event *followed* by another, but not events removed from the end:
the shortened chain is still a valid chain. A checkpoint is the head at one moment (last id, last hash, number
of events, legacy events), HMAC-signed with the audit key and appended as one JSON line to
AUDIT_CHECKPOINT_DIR/audit-checkpoints.jsonl (hourly by beat, and by `manage.py audit_checkpoint`).
`audit_chain_verify` compares the chain with every checkpoint: a chain that ends before a checkpoint's head,
or whose head differs from it, was tampered with, and the checkpoint is the proof.

Each line also carries the MAC of the line before it, so lines removed or edited in the middle of the file
are detected too; older lines may be archived from the top of the file (the first line's link is not checked).
The folder belongs off the database host, and each line is logged as well (apps.audit.checkpoint), so a copy
exists wherever the logs go.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import hmac
import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone

from .keys import signing_key, verification_key
from .models import AuditEvent

logger = logging.getLogger("apps.audit.checkpoint")

CHECKPOINT_FILE = "audit-checkpoints.jsonl"
_CONTEXT = b"vendorrisk.audit.checkpoint.v1\n"
_GENESIS_HASH = "0" * 64  # as apps.audit.services.GENESIS_HASH: the head of an empty chain
_FIELDS = ("v", "created_at", "last_id", "last_hash", "count", "legacy_count", "legacy_until_id", "key_id",
           "prev_mac")


class CheckpointInvalid(Exception):
    """The checkpoint file was edited, cut or forged (bad signature, broken link, unreadable line)."""


@dataclass(frozen=True)
class Checkpoint:
    v: int
    created_at: str
    last_id: int
    last_hash: str
    count: int
    legacy_count: int
    legacy_until_id: int
    key_id: str
    prev_mac: str
    mac: str = ""
    line: int = 0


def checkpoint_path(directory: Path | str | None = None) -> Path:
    return Path(directory or settings.AUDIT_CHECKPOINT_DIR) / CHECKPOINT_FILE


def _mac(key: bytes, fields: dict) -> str:
    body = json.dumps({name: fields[name] for name in _FIELDS}, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, _CONTEXT + body.encode(), hashlib.sha256).hexdigest()


def _parse(raw: str, number: int) -> Checkpoint:
    try:
        data = json.loads(raw)
        return Checkpoint(**{name: data[name] for name in (*_FIELDS, "mac")}, line=number)
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointInvalid(f"line {number} is not a checkpoint ({exc.__class__.__name__})") from None


def audit_checkpoints_read(directory: Path | str | None = None) -> list[Checkpoint]:
    """Every checkpoint in the file, oldest first, each signature and link verified.

    Raises CheckpointInvalid when a line is unreadable, badly signed or not linked to the line before, and
    apps.audit.keys.AuditKeyMissing when a line names a key id that is no longer configured (fail closed).
    No file: no checkpoints (a fresh installation)."""
    path = checkpoint_path(directory)
    if not path.exists():
        return []
    checkpoints: list[Checkpoint] = []
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        if not raw.strip():
            continue
        cp = _parse(raw, number)
        if not hmac.compare_digest(_mac(verification_key(cp.key_id), asdict(cp)), cp.mac):
            raise CheckpointInvalid(f"line {number} (of {cp.created_at}): the signature does not match")
        if checkpoints and cp.prev_mac != checkpoints[-1].mac:
            raise CheckpointInvalid(f"line {number} (of {cp.created_at}) does not follow line "
                                    f"{checkpoints[-1].line}: lines were removed, reordered or inserted")
        checkpoints.append(cp)
    return checkpoints


def _chain_head() -> dict:
    """The head of the committed chain. Appends are serialised by the chain lock until their commit, so ids
    commit in order and counting the ids up to the head read here gives that head's exact count."""
    head = AuditEvent.objects.order_by("-id").values("id", "hash").first() or {"id": 0, "hash": _GENESIS_HASH}
    upto = AuditEvent.objects.filter(id__lte=head["id"])
    legacy = upto.filter(key_id="").aggregate(n=Count("id"), last=Max("id"))
    return {"last_id": head["id"], "last_hash": head["hash"], "count": upto.count(),
            "legacy_count": legacy["n"], "legacy_until_id": legacy["last"] or 0}


def audit_checkpoint_write(*, now: dt.datetime | None = None, directory: Path | str | None = None) -> Checkpoint:
    """Sign the chain's current head and append it to the checkpoint file (created 0600 in a 0700 folder).

    The file is locked while the previous line is read and the new one appended, so two writers cannot fork
    the line chain. Raises ImproperlyConfigured without a signing key, CheckpointInvalid when the last line
    is unreadable (the file needs an operator's look before anything is appended to it)."""
    key_id, key = signing_key()
    path = checkpoint_path(directory)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.seek(0)
        lines = [line for line in fh.read().splitlines() if line.strip()]
        prev_mac = _parse(lines[-1], len(lines)).mac if lines else ""
        fields = {"v": 1, "created_at": (now or timezone.now()).astimezone(dt.UTC).isoformat(),
                  **_chain_head(), "key_id": key_id, "prev_mac": prev_mac}
        cp = Checkpoint(**fields, mac=_mac(key, fields), line=len(lines) + 1)
        record = {name: getattr(cp, name) for name in (*_FIELDS, "mac")}
        text = json.dumps(record, sort_keys=True, separators=(",", ":"))
        fh.write(text + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    logger.info("audit checkpoint %s", text)
    return cp
