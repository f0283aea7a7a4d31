"""The guard between a parsed version and activation: an empty parse, a drop beyond the allowed share, or a
small loss whose shape says the file is broken (tail cut, a whole group gone) quarantines the version."""
from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, Max, OuterRef

from ..models import ListDiff, ListEntry, ListSource, ListVersion


def _guard_reason(source: ListSource, version: ListVersion, current: ListVersion | None, diff: ListDiff) -> str:
    limit = source.max_drop_share if source.max_drop_share is not None else settings.LISTS_MAX_DROP_SHARE
    if version.entry_count == 0:
        return "The parse produced no entries; the previous version stays active."
    if current is None or not current.entry_count:
        return ""
    before = current.entry_count
    drop = (before - version.entry_count) / before
    if drop > limit:
        return (f"Entries fell from {before} to {version.entry_count} ({drop:.1%}), more than the allowed "
                f"{limit:.0%}; the previous version stays active until an admin decides.")
    removed_share = diff.removed / before
    if removed_share > limit:
        return (f"{diff.removed} of {before} entries ({removed_share:.1%}) disappeared, more than the allowed "
                f"{limit:.0%}; the previous version stays active until an admin decides.")
    return _loss_shape_reason(source, version, current, diff)


def _loss_shape_setting(source: ListSource, key: str):
    overrides = getattr(settings, "LISTS_LOSS_SHAPE_OVERRIDES", {}).get(source.code, {})
    return overrides[key] if key in overrides else getattr(settings, f"LISTS_{key.upper()}")


def _loss_shape_reason(source: ListSource, version: ListVersion, current: ListVersion, diff: ListDiff) -> str:
    """Quarantine a *small* loss whose shape says the file is broken, which the share limit lets through.

    - Tail cut: entries are stored in file order (the writer inserts them in parse order, so ids follow the
      file). If the removed entries are the last N of the previous version and nothing after them survived,
      the new file most likely stops early: a download cut at 97 % loses 3 %, under any share limit.
    - Group loss: most of one sub-list or program gone at once (a publisher's export that dropped a
      program) rather than a few delistings scattered over the list.

    Computed in SQL (counts and group-bys over the two versions), never by loading the entries. Thresholds:
    LISTS_TAIL_CUT_MIN_ENTRIES, LISTS_GROUP_DROP_SHARE, LISTS_GROUP_DROP_MIN_ENTRIES, per source
    LISTS_LOSS_SHAPE_OVERRIDES; 0 disables a check.
    """
    if not diff.removed:
        return ""
    old = ListEntry.objects.filter(version=current)
    in_new = ListEntry.objects.filter(version=version, external_id=OuterRef("external_id"))
    stay = " The previous version stays active until an admin decides."

    tail_min = int(_loss_shape_setting(source, "tail_cut_min_entries"))
    if tail_min and diff.removed >= tail_min:
        last_kept = old.filter(Exists(in_new)).aggregate(last=Max("id"))["last"] or 0
        tail = old.filter(id__gt=last_kept)
        tail_count = tail.count()
        if tail_count >= tail_min:
            first = tail.order_by("id").values("external_id", "primary_name").first()
            return (f"The new file looks cut off: the last {tail_count} entries of the previous version's file, "
                    f"from {first['primary_name']!r} ({first['external_id']}) to the end, are all missing and "
                    f"nothing after them survived ({diff.removed} removed in total, under the size limit). "
                    f"A truncated download or export is the likely cause.{stay}")

    group_min = int(_loss_shape_setting(source, "group_drop_min_entries"))
    group_share = float(_loss_shape_setting(source, "group_drop_share"))
    if not group_min or not group_share or diff.removed < group_min:
        return ""
    removed = old.filter(~Exists(in_new))
    for kind, lost, totals in (("sub-list", *_sub_list_losses(old, removed, group_min)),
                               ("program", *_program_losses(current.pk, version.pk, group_min))):
        for name, count in lost:
            total = totals.get(name, 0)
            # unnamed, or the whole list: not a group, the size limit (and the source's override) decides
            if not name or total >= current.entry_count:
                continue
            if count / total >= group_share:
                return (f"{count} of the {total} entries of {kind} {name!r} ({count / total:.0%}) disappeared at "
                        f"once ({diff.removed} removed in total): a whole {kind} dropping out usually means a "
                        f"broken publisher file rather than separate delistings; approve if the {kind} really "
                        f"was lifted.{stay}")
    return ""


def _sub_list_losses(old, removed, minimum: int) -> tuple[list[tuple[str, int]], dict[str, int]]:
    lost = [(r["sub_list"], r["n"]) for r in removed.values("sub_list").annotate(n=Count("id"))
            .filter(n__gte=minimum).order_by("-n", "sub_list")]
    totals = {r["sub_list"]: r["n"] for r in old.filter(sub_list__in=[name for name, _n in lost])
              .values("sub_list").annotate(n=Count("id"))}
    return lost, totals


def _program_losses(old_id: int, new_id: int, minimum: int) -> tuple[list[tuple[str, int]], dict[str, int]]:
    """Per program (an entry may have several, in a JSON array): entries removed, and entries before."""
    table = ListEntry._meta.db_table
    if connection.vendor == "postgresql":
        expand, value = "CROSS JOIN LATERAL jsonb_array_elements_text(o.programs) AS p(program)", "p.program"
    else:  # SQLite, the other supported database
        expand, value = ", json_each(o.programs) AS p", "p.value"
    sql = (f"SELECT {value}, COUNT(*) FROM {table} o {expand} WHERE o.version_id = %s "  # noqa: S608 - fixed names
           f"{{cond}} GROUP BY {value}")
    with connection.cursor() as cur:
        cur.execute(sql.format(cond=f"AND NOT EXISTS (SELECT 1 FROM {table} n WHERE n.version_id = %s "
                                    f"AND n.external_id = o.external_id)") + " HAVING COUNT(*) >= %s",
                    [old_id, new_id, minimum])
        lost = sorted(((str(name), n) for name, n in cur.fetchall()), key=lambda r: (-r[1], r[0]))
        totals: dict[str, int] = {}
        if lost:
            placeholders = ", ".join(["%s"] * len(lost))
            cur.execute(sql.format(cond=f"AND {value} IN ({placeholders})"), [old_id, *[name for name, _n in lost]])
            totals = {str(name): n for name, n in cur.fetchall()}
    return lost, totals
