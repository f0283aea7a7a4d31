"""Splitting a table into key ranges for work spread over several workers."""
from __future__ import annotations

from django.db.models import QuerySet


def id_ranges(queryset: QuerySet, size: int) -> list[tuple[int, int]]:
    """[(first id, last id), ...]: consecutive ranges of at most `size` rows of `queryset` each, by primary key,
    covering every row it has now. One index-only query per range (keyset: the id `size` rows further), so the
    ids are never all held in memory. A row added later inside a range is part of it; one added after the last id
    is in none (the next run takes it)."""
    if size < 1:
        raise ValueError("size must be positive")
    keys = queryset.order_by("pk").values_list("pk", flat=True)
    first = keys.first()
    ranges: list[tuple[int, int]] = []
    while first is not None:
        last = keys.filter(pk__gte=first)[size - 1:size].first()
        if last is None:
            ranges.append((first, keys.last()))
            break
        ranges.append((first, last))
        first = keys.filter(pk__gt=last).first()
    return ranges
