"""trade.gov Consolidated Screening List, JSON form (the API's ``search`` response or the JSON download).

Shape: ``{"total": n, "sources_used": [...], "results": [ {...}, ... ]}`` (a bare top-level array is also
accepted). Each result has the same fields as the CSV columns (see us_csl_csv), but multi-valued fields are
JSON arrays: ``alt_names``, ``programs``, ``citizenships``, ``nationalities``, ``dates_of_birth``,
``places_of_birth``; ``addresses`` is a list of objects ``{address, city, state, postal_code, country}``;
``ids`` is a list of objects ``{type, number, country, issue_date, expiration_date}``. These are flattened to
the CSV's text form and mapped by the same code, so both forms give the same entries and external ids
(``"<sub-list code>:<_id>"``).

Streaming: ijson parses the document event by event and each object of the ``results`` array is built alone
(no full-document ``json.load``); the whole document is still checked to its end (common.jsonfiles).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from apps.lists.sources.base import ParsedEntry, iter_json_array, merge_repeats, single_path
from apps.lists.sources.us_csl_csv import iter_entries

FORMAT = "us_csl_json"
DESCRIPTION = 'trade.gov Consolidated Screening List, JSON ({"results": [...]})'


def parse(paths: list[Path]) -> Iterator[ParsedEntry]:
    """Stream CSL entries from the JSON form."""
    return merge_repeats(iter_entries(iter_json_array(single_path(paths, FORMAT), "results")))
