"""The diff of a version against the previously active one, computed in SQL."""
from __future__ import annotations

from django.conf import settings
from django.db.models import Exists, OuterRef

from ..models import ListDiff, ListEntry, ListVersion

DIFF_FIELDS = (
    "entry_type", "primary_name", "aliases", "sub_list", "programs", "countries", "addresses", "identifiers",
    "listed_on", "end_date", "remarks", "source_url", "parent_name", "scope", "scope_categories", "extra",
)


def _diff_compute(version: ListVersion, previous: ListVersion | None) -> ListDiff:
    """Added / removed / changed by external_id + content_hash, in SQL; details capped at
    LISTS_DIFF_DETAIL_LIMIT per kind (counts are exact), changed entries name their changed fields."""
    limit = int(getattr(settings, "LISTS_DIFF_DETAIL_LIMIT", 1000))
    new = ListEntry.objects.filter(version=version)
    if previous is None:
        added_count = new.count()
        details = {"added": [{"external_id": r["external_id"], "name": r["primary_name"]}
                             for r in new.order_by("external_id").values("external_id", "primary_name")[:limit]],
                   "removed": [], "changed": []}
        diff = ListDiff(version=version, previous=None, added=added_count, removed=0, changed=0)
    else:
        old = ListEntry.objects.filter(version=previous)
        in_old = old.filter(external_id=OuterRef("external_id"))
        in_new = new.filter(external_id=OuterRef("external_id"))
        added = new.filter(~Exists(in_old))
        removed = old.filter(~Exists(in_new))
        changed = new.filter(Exists(in_old.exclude(content_hash=OuterRef("content_hash"))))
        changed_rows = list(changed.order_by("external_id").values("external_id", *DIFF_FIELDS)[:limit])
        before = {
            row["external_id"]: row
            for row in old.filter(external_id__in=[r["external_id"] for r in changed_rows]).values(
                "external_id", *DIFF_FIELDS)
        }
        changed_details = []
        for row in changed_rows:
            prior = before.get(row["external_id"], {})
            fields = [f for f in DIFF_FIELDS if row[f] != prior.get(f)]
            changed_details.append({"external_id": row["external_id"], "name": row["primary_name"], "fields": fields})
        details = {
            "added": [{"external_id": r["external_id"], "name": r["primary_name"]}
                      for r in added.order_by("external_id").values("external_id", "primary_name")[:limit]],
            "removed": [{"external_id": r["external_id"], "name": r["primary_name"]}
                        for r in removed.order_by("external_id").values("external_id", "primary_name")[:limit]],
            "changed": changed_details,
        }
        diff = ListDiff(version=version, previous=previous, added=added.count(), removed=removed.count(),
                        changed=changed.count())
    details["truncated"] = any(len(details[k]) >= limit for k in ("added", "removed", "changed"))
    diff.details = details
    ListDiff.objects.filter(version=version).delete()
    diff.save()
    return diff
