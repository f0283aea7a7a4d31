"""The guard looks at the shape of a loss, not only its size: a file cut off at the end, or one program or
sub-list dropping out, is quarantined even when the share removed is under LISTS_MAX_DROP_SHARE; ordinary
updates (a few scattered delistings) still go live."""
# ruff: noqa: F811  (pytest fixtures imported from tests.lists.lists_fakes are used as arguments)
import datetime as dt

import pytest

from apps.lists.choices import RunStatus, VersionStatus
from apps.lists.models import ListVersion
from apps.lists.selectors import list_versions_active
from apps.lists.services import list_version_import
from tests.lists.lists_fakes import entries, fake_format, source, write_list  # noqa: F401

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def _import(source, tmp_path, rows, name, hours=0):
    path = write_list(tmp_path / name, rows)
    return list_version_import(source=source, paths=[path], now=T0 + dt.timedelta(hours=hours))


def _base(source, tmp_path, rows):
    first = _import(source, tmp_path, rows, "v1.jsonl")
    assert first.status == RunStatus.ACTIVE
    return first


def _still_active(source, first):
    assert list_versions_active().get(source=source).pk == first.version


def test_a_file_cut_at_the_end_is_quarantined_although_the_loss_is_small(source, tmp_path):
    rows = entries(200)
    first = _base(source, tmp_path, rows)
    result = _import(source, tmp_path, rows[:185], "v2.jsonl", hours=1)  # 7.5 % lost, under the 10 % limit
    assert result.status == RunStatus.QUARANTINED
    assert result.reason.startswith("The new file looks cut off: the last 15 entries of the previous version's file")
    assert "'Company 185' (185) to the end" in result.reason and "truncated" in result.reason
    _still_active(source, first)
    assert ListVersion.objects.get(pk=result.version).status == VersionStatus.QUARANTINED


def test_a_cut_file_whose_last_record_was_corrupted_is_still_a_tail_cut(source, tmp_path):
    rows = entries(200)
    first = _base(source, tmp_path, rows)
    cut = [*rows[:184], {**rows[184], "name": "Company 18"}]  # the last record cut inside its name
    result = _import(source, tmp_path, cut, "v2.jsonl", hours=1)
    assert result.status == RunStatus.QUARANTINED and "the last 15 entries" in result.reason
    assert result.changed == 1
    _still_active(source, first)


def test_a_short_tail_or_removals_before_a_surviving_last_entry_are_not_a_cut(source, tmp_path):
    rows = entries(200)
    _base(source, tmp_path, rows)
    short_tail = _import(source, tmp_path, rows[:191], "v2.jsonl", hours=1)  # 9 < LISTS_TAIL_CUT_MIN_ENTRIES
    assert short_tail.status == RunStatus.ACTIVE, short_tail.reason
    near_end = [*rows[:175], rows[190]]  # 15 removed near the end, but the last entry is still there
    result = _import(source, tmp_path, near_end, "v3.jsonl", hours=2)
    assert result.status == RunStatus.ACTIVE, result.reason
    assert result.removed == 15


def test_tail_check_threshold_and_per_source_override(source, tmp_path, settings):
    rows = entries(200)
    _base(source, tmp_path, rows)
    settings.LISTS_LOSS_SHAPE_OVERRIDES = {source.code: {"tail_cut_min_entries": 0}}  # this source: off
    result = _import(source, tmp_path, rows[:185], "v2.jsonl", hours=1)
    assert result.status == RunStatus.ACTIVE, result.reason
    settings.LISTS_LOSS_SHAPE_OVERRIDES = {}
    settings.LISTS_TAIL_CUT_MIN_ENTRIES = 5
    result = _import(source, tmp_path, rows[:179], "v3.jsonl", hours=2)
    assert result.status == RunStatus.QUARANTINED and "the last 6 entries" in result.reason


def test_one_sub_list_dropping_out_is_quarantined(source, tmp_path):
    rows = [{**row, "sub_list": "MEU" if 50 <= i < 62 else "Entity List"} for i, row in enumerate(entries(300))]
    first = _base(source, tmp_path, rows)
    without_meu = [row for row in rows if row["sub_list"] != "MEU"]  # 12 of 300 (4 %), from the middle
    result = _import(source, tmp_path, without_meu, "v2.jsonl", hours=1)
    assert result.status == RunStatus.QUARANTINED
    assert result.reason.startswith("12 of the 12 entries of sub-list 'MEU' (100%) disappeared at once")
    assert "broken publisher file" in result.reason and "approve if the sub-list really was lifted" in result.reason
    _still_active(source, first)


def test_one_program_dropping_out_is_quarantined(source, tmp_path):
    rows = [{**row, "sub_list": "SDN", "programs": ["CUBA"] if i % 25 == 3 else ["SDGT", "IRAN"]}
            for i, row in enumerate(entries(300))]
    first = _base(source, tmp_path, rows)
    kept = [row for i, row in enumerate(rows) if i % 25 != 3 or i == 278]  # 11 of the 12 CUBA entries go
    result = _import(source, tmp_path, kept, "v2.jsonl", hours=1)
    assert result.status == RunStatus.QUARANTINED
    assert result.reason.startswith("11 of the 12 entries of program 'CUBA' (92%) disappeared at once")
    _still_active(source, first)


def test_an_ordinary_update_with_scattered_removals_goes_live(source, tmp_path):
    rows = [{**row, "sub_list": ["Entity List", "MEU", "DPL"][i % 3], "programs": [f"P{i % 7}"]}
            for i, row in enumerate(entries(300))]
    _base(source, tmp_path, rows)
    update = [row for i, row in enumerate(rows) if i not in (4, 57, 101, 150, 222, 260, 261, 262)]
    update[10] = {**update[10], "name": "Company renamed"}
    update += entries(5, start=1000)
    result = _import(source, tmp_path, update, "v2.jsonl", hours=1)
    assert result.status == RunStatus.ACTIVE, result.reason
    assert (result.removed, result.added, result.changed) == (8, 5, 1)


def test_a_small_sub_list_losing_a_few_entries_is_not_a_group_loss(source, tmp_path):
    rows = [{**row, "sub_list": "FSE" if i in (10, 20, 30) else "SDN"} for i, row in enumerate(entries(100))]
    _base(source, tmp_path, rows)
    result = _import(source, tmp_path, [r for r in rows if r["sub_list"] != "FSE"], "v2.jsonl", hours=1)
    assert result.status == RunStatus.ACTIVE, result.reason  # 3 < LISTS_GROUP_DROP_MIN_ENTRIES


def test_a_list_without_sub_lists_is_left_to_the_size_limit(source, tmp_path):
    """Entries with no sub-list or program are not a "group": the size limit and its per-source override decide."""
    source.max_drop_share = 0.7
    source.save()
    rows = [{**row, "programs": ["ONLY"]} for row in entries(100)]
    _base(source, tmp_path, rows)
    spread = [row for row in rows if int(row["id"]) % 5 not in (1, 2, 3)]  # 60 % gone, spread over the list
    result = _import(source, tmp_path, spread, "v2.jsonl", hours=1)
    assert result.status == RunStatus.ACTIVE, result.reason
