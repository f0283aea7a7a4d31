"""Import of equipment and vendors from CSV or XLSX: a dry run that reports every bad row, then a commit
that saves all rows or none.

Files are read as streams (CSV line by line, XLSX with openpyxl's read-only mode), in chunks of
`CHUNK_ROWS`, so memory stays bounded whatever the row count. Validation looks names up in bulk per chunk
(one query per lookup kind and chunk), never per row. Errors name the row (as the spreadsheet numbers it:
the header is row 1) and the column.

`import_validate` writes nothing. `import_commit` validates again while writing inside one transaction and
rolls everything back on the first invalid row, so a file that changed between preview and commit cannot
half-import. On PostgreSQL the units and their history rows go in with COPY (apps.common.copy), ids reserved
from the sequence; the per-site tallies are recounted once at the end. Both take a `progress(done, total)`
callback for the progress bar.

Columns (equipment): site_code, category, brand, model_number, manufacturer, software_supplier, quantity,
serial_number, asset_tag, installed_date, status, internet_connected, vendor_remote_access, remote_access_vendor,
cellular_modem, isolated_segment (or the older single connectivity), collects_data, operator_name, notes.
Columns (vendors): name, country_of_incorporation, country_of_headquarters, website, aliases, lei, uei,
duns, uscc, description.
"""
from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import logging
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone
from django_countries import countries
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from apps.audit.services import audit_record
from apps.audit.writes import write_transaction
from apps.common.copy import copy_rows, copy_supported, field_defaults, ids_reserve
from apps.common.exceptions import ApplicationError
from apps.vendors.choices import IdentifierScheme
from apps.vendors.identifiers import identifier_validate
from apps.vendors.models import VendorIdentifier
from apps.vendors.selectors import vendor_ids_by_name

from .choices import (
    CONNECTIVITY_FACT_FIELDS,
    LEGACY_CONNECTIVITY_FACTS,
    Connectivity,
    EquipmentCategory,
    EquipmentStatus,
)
from .models import Equipment, ProductModel, Site
from .services import equipment_counts_deferred, equipment_counts_touch

logger = logging.getLogger(__name__)

CHUNK_ROWS = 1000
CLOSE_NAME_CHECKS = 50    # new vendor names of a dry run checked against the recorded ones for typos
MAX_ERRORS = 500          # errors kept in a report; the count goes on
PREVIEW_ROWS = 20
Progress = Callable[[int, int], None]


YES_NO = "yes_no"      # a column read by _bool
COUNTRY = "country"    # an ISO 3166 alpha-2 code (django_countries)


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    help: str
    example: str
    max_length: int = 0
    codes: Any = None  # the allowed values: a choices class (inventory.choices), YES_NO or COUNTRY


EQUIPMENT_COLUMNS = [
    Column("site_code", True, "Code of one of your organisation's sites", "PT-T1", 32),
    Column("category", True, "Category code or label, e.g. camera, sts_crane", "camera", 32, EquipmentCategory),
    Column("brand", True, "Brand on the box (vendor legal name or alias); created when unknown", "Hikvision", 300),
    Column("model_number", True, "Model number as printed", "DS-2CD2143G2-I", 120),
    Column("manufacturer", False, "Real maker when the brand is a white label", "", 300),
    Column("software_supplier", False, "Supplier of the control software or firmware", "", 300),
    Column("quantity", False, "Number of identical units (default 1)", "1"),
    Column("serial_number", False, "Serial number", "SN-0001", 120),
    Column("asset_tag", False, "Your asset tag, unique per site", "CAM-0001", 120),
    Column("installed_date", False, "YYYY-MM-DD, not in the future", "2021-05-04"),
    Column("status", False, "in_service (default), disconnected, removed, replaced, disposed", "in_service",
           codes=EquipmentStatus),
    Column("internet_connected", False, "yes/no", "no", codes=YES_NO),
    Column("vendor_remote_access", False, "yes/no", "no", codes=YES_NO),
    Column("remote_access_vendor", False, "Who holds the remote access (vendor legal name or alias; created when "
                                          "unknown); only with vendor_remote_access", "", 300),
    Column("cellular_modem", False, "yes/no", "no", codes=YES_NO),
    Column("isolated_segment", False, "yes/no", "no", codes=YES_NO),
    Column("connectivity", False, "Older single value, still read: isolated, site_network, internet, vendor_remote "
                                  "(sets the matching fact)", "", codes=Connectivity),
    Column("collects_data", False, "yes/no", "yes", codes=YES_NO),
    Column("operator_name", False, "Who operates it when not you", "", 200),
    Column("notes", False, "Free text", ""),
]
VENDOR_COLUMNS = [
    Column("name", True, "Legal name", "Example Vision Co., Ltd.", 300),
    Column("country_of_incorporation", False, "ISO alpha-2 code", "CN", codes=COUNTRY),
    Column("country_of_headquarters", False, "ISO alpha-2 code", "CN", codes=COUNTRY),
    Column("website", False, "https://...", "https://example.com"),
    Column("aliases", False, "Other names separated by ';'", "ExampleVision; EV"),
    Column("lei", False, "LEI (20 characters)", ""),
    Column("uei", False, "UEI (SAM.gov)", ""),
    Column("duns", False, "DUNS (9 digits)", ""),
    Column("uscc", False, "Unified Social Credit Code (18 characters)", ""),
    Column("description", False, "Free text", ""),
]
KINDS: dict[str, list[Column]] = {"equipment": EQUIPMENT_COLUMNS, "vendors": VENDOR_COLUMNS}
FORMATS = ("csv", "xlsx")


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportReport:
    kind: str
    total_rows: int = 0
    valid_rows: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)
    new_vendors: list[str] = field(default_factory=list)
    # New names that look like a recorded vendor (a typo would create a duplicate company): name -> close names
    close_vendor_names: dict[str, list[str]] = field(default_factory=dict)
    # The same with the recorded vendors' ids, for the preview's choice: name -> [{"id", "name"}]
    close_vendors: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # The officer's answers applied (ImportJob.vendor_choices): name -> {"id", "name"} of the recorded vendor
    chosen_vendors: dict[str, dict[str, Any]] = field(default_factory=dict)
    created: int = 0
    committed: bool = False
    vendor_ids: list[int] = field(default_factory=list)   # vendors of the saved rows (for re-evaluation)
    equipment_ids: list[int] = field(default_factory=list)  # the units saved (their plans at once); not stored

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and self.total_rows > 0

    def add_error(self, row: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(row, column, message))

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("equipment_ids")  # up to IMPORT_MAX_ROWS ids: passed on in the event, not kept in the job
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportReport:
        data = dict(data)
        data["errors"] = [RowError(**e) for e in data.get("errors", [])]
        return cls(**data)


# --- reading -----------------------------------------------------------------------------------------------

def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


def _rows_csv(path: Path) -> Iterator[list[str]]:
    from apps.security.uploads import csv_reader

    with open(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline="")
        try:
            sample = text.read(4096)
            text.seek(0)
            try:
                dialect = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample else csv.excel
            except csv.Error:
                dialect = csv.excel
            for row in csv_reader(text, dialect=dialect):
                yield [_cell_text(v) for v in row]
        except UnicodeDecodeError as exc:
            raise ApplicationError("The CSV file is not UTF-8 text: save it as 'CSV UTF-8' and try again.",
                                   code="import_encoding", fields={"file": [str(exc)[:200]]}) from exc


# What openpyxl raises for a file that is not a readable workbook (not a zip, a zip without a workbook, a
# damaged part). Anything else is a bug and is not caught.
_XLSX_ERRORS = (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, EOFError)
_XLSX_UNREADABLE = ("The file is not a readable Excel workbook (.xlsx): open it in a spreadsheet program, save it "
                    "as .xlsx (or as CSV UTF-8) and upload it again.")


def _workbook(path: Path, **options):
    """The workbook, or ApplicationError with a message that names neither the server's path nor the parser's
    internals (the details go to the log)."""
    try:
        return load_workbook(path, read_only=True, **options)
    except _XLSX_ERRORS as exc:
        logger.warning("unreadable workbook %s: %s: %s", path.name, exc.__class__.__name__, exc)
        raise ApplicationError(_XLSX_UNREADABLE, code="import_unreadable", fields={"file": [_XLSX_UNREADABLE]}) \
            from exc


def _rows_xlsx(path: Path) -> Iterator[list[str]]:
    wb = _workbook(path, data_only=True)
    try:
        ws = wb.worksheets[0]
        for row in ws.iter_rows(values_only=True):
            yield [_cell_text(v) for v in row]
    finally:
        wb.close()


def file_rows(path: Path, fmt: str) -> Iterator[list[str]]:
    """Raw rows of the first sheet (XLSX) or of the CSV; empty trailing rows are skipped by the caller."""
    if fmt == "csv":
        return _rows_csv(path)
    if fmt == "xlsx":
        return _rows_xlsx(path)
    raise ApplicationError(f"Unknown file format {fmt!r}.", code="import_format")


def row_count_estimate(path: Path, fmt: str) -> int:
    """Data rows, for the progress bar: newlines in a CSV, the sheet dimension of an XLSX."""
    if fmt == "csv":
        n = 0
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                n += block.count(b"\n")
        return max(0, n - 1)
    wb = _workbook(path)
    try:
        return max(0, (wb.worksheets[0].max_row or 1) - 1)
    finally:
        wb.close()


def _header(names: list[str], columns: list[Column]) -> list[str]:
    return [n.strip().lower().replace(" ", "_").replace("-", "_") for n in names]


def _records(path: Path, fmt: str, columns: list[Column], report: ImportReport) -> Iterator[tuple[int, dict]]:
    """(row number, {column: text}) for every non-empty data row; header problems go into the report."""
    rows = file_rows(path, fmt)
    try:
        raw_header = next(rows)
    except StopIteration:
        report.add_error(1, "", "The file is empty: the first row must name the columns.")
        return
    header = _header(raw_header, columns)
    known = {c.name for c in columns}
    missing = [c.name for c in columns if c.required and c.name not in header]
    if missing:
        report.add_error(1, ", ".join(missing), "Required column missing from the header row. Download the "
                         "template to see the expected columns.")
        return
    unknown = [h for h in header if h and h not in known]
    if unknown:
        report.warnings.append(f"Columns ignored (not part of the template): {', '.join(unknown)}.")
    limit, data_rows = settings.IMPORT_MAX_ROWS, 0
    for number, row in enumerate(rows, start=2):
        if not any(row):
            continue
        data_rows += 1
        if data_rows > limit:
            raise ApplicationError(f"The file has more than {limit:,} rows (IMPORT_MAX_ROWS): split it into several "
                                   "files. Nothing was saved.", code="import_too_many_rows")
        yield number, {h: (row[i] if i < len(row) else "") for i, h in enumerate(header) if h in known}


def _chunks(records: Iterator[tuple[int, dict]], size: int = CHUNK_ROWS) -> Iterator[list[tuple[int, dict]]]:
    chunk: list[tuple[int, dict]] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- field parsing -----------------------------------------------------------------------------------------

@functools.cache
def _choice_map(choices) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, label in choices.choices:
        out[str(label).lower()] = key
        out[key] = key
    return out


def _choice(value: str, choices) -> str | None:
    """The choice key for a code or a label (case-insensitive), or None."""
    return _choice_map(choices).get(value.strip().lower())


def _bool(value: str) -> bool | None:
    v = value.strip().lower()
    if v in ("", "no", "n", "false", "0"):
        return False
    if v in ("yes", "y", "true", "1"):
        return True
    return None


def _check_cells(number: int, rec: dict, columns: list[Column], report: ImportReport) -> None:
    """What every column declares: a required cell is filled, a cell is no longer than the column's max_length."""
    for col in columns:
        value = rec.get(col.name, "")
        if col.required and not value:
            report.add_error(number, col.name, "Required; the cell is empty.")
        elif col.max_length and len(value) > col.max_length:
            report.add_error(number, col.name, f"Too long ({len(value)} characters, at most {col.max_length}).")


@dataclass
class _EquipmentRow:
    number: int
    site_id: int
    category: str
    brand: str
    model_number: str
    manufacturer: str
    software_supplier: str
    fields: dict[str, Any]
    remote_access_vendor: str = ""


def _validate_equipment_chunk(chunk: list[tuple[int, dict]], *, sites: dict[str, int], seen_tags: set,
                              report: ImportReport, today: dt.date) -> list[_EquipmentRow]:
    valid: list[_EquipmentRow] = []
    candidate_tags: list[tuple[int, str]] = []
    parsed: list[_EquipmentRow] = []
    for number, rec in chunk:
        errors_before = report.error_count
        _check_cells(number, rec, EQUIPMENT_COLUMNS, report)
        site_code = rec.get("site_code", "")
        site_id = sites.get(site_code.lower()) if site_code else None
        if site_code and site_id is None:
            report.add_error(number, "site_code", f"No site with code {site_code!r} in this organisation.")
        category = _choice(rec.get("category", ""), EquipmentCategory) if rec.get("category") else None
        if rec.get("category") and category is None:
            report.add_error(number, "category", f"Unknown category {rec['category']!r}; use one of: "
                             f"{', '.join(EquipmentCategory.values)}.")
        fields: dict[str, Any] = {}
        qty = rec.get("quantity", "") or "1"
        try:
            fields["quantity"] = int(qty)
            if fields["quantity"] < 1:
                raise ValueError
        except ValueError:
            report.add_error(number, "quantity", f"Quantity must be a whole number of at least 1, not {qty!r}.")
        if rec.get("installed_date"):
            try:
                day = dt.date.fromisoformat(rec["installed_date"][:10])
                if day > today:
                    report.add_error(number, "installed_date", "The installation date is in the future.")
                fields["installed_date"] = day
            except ValueError:
                report.add_error(number, "installed_date",
                                 f"Not a date: {rec['installed_date']!r} (use YYYY-MM-DD).")
        raw = rec.get("status", "")
        value = _choice(raw, EquipmentStatus) if raw else str(EquipmentStatus.IN_SERVICE)
        if value is None:
            report.add_error(number, "status", f"Unknown value {raw!r}; use one of: "
                             f"{', '.join(EquipmentStatus.values)}.")
        fields["status"] = value
        facts: set[str] = set()
        raw = rec.get("connectivity", "")
        if raw:
            legacy = _choice(raw, Connectivity)
            if legacy is None:
                report.add_error(number, "connectivity", f"Unknown value {raw!r}; use one of: "
                                 f"{', '.join(Connectivity.values)} (or the yes/no columns).")
            else:
                facts |= LEGACY_CONNECTIVITY_FACTS[legacy]
        for name in CONNECTIVITY_FACT_FIELDS:
            flag = _bool(rec.get(name, ""))
            if flag is None:
                report.add_error(number, name, "Use yes or no.")
            elif flag:
                facts.add(name)
        for name in CONNECTIVITY_FACT_FIELDS:
            fields[name] = name in facts
        remote_vendor = rec.get("remote_access_vendor", "")
        if remote_vendor and not fields["vendor_remote_access"]:
            report.add_error(number, "remote_access_vendor", "Give who holds remote access only with "
                             "vendor_remote_access yes.")
        if fields["isolated_segment"] and fields["internet_connected"]:
            report.add_error(number, "isolated_segment", "An isolated segment is not internet-connected.")
        collects = _bool(rec.get("collects_data", ""))
        if collects is None:
            report.add_error(number, "collects_data", "Use yes or no.")
        fields["collects_data"] = bool(collects)
        for name in ("serial_number", "asset_tag", "operator_name", "notes"):
            fields[name] = rec.get(name, "")
        tag = fields["asset_tag"]
        if tag and site_id is not None:
            key = (site_id, tag.lower())
            if key in seen_tags:
                report.add_error(number, "asset_tag", f"Asset tag {tag!r} appears twice for this site in the file.")
            seen_tags.add(key)
            candidate_tags.append((site_id, tag))
        if report.error_count == errors_before:
            parsed.append(_EquipmentRow(number, site_id, category, rec["brand"], rec["model_number"],
                                        rec.get("manufacturer", ""), rec.get("software_supplier", ""), fields,
                                        remote_vendor))
    if candidate_tags:  # one query: asset tags already used at these sites
        # order_by(): no default ordering (it would join sites and organisations); the exclude lets the
        # partial unique index (site, asset_tag) WHERE asset_tag <> '' answer the query.
        taken = {(s, t.lower()) for s, t in Equipment.objects.filter(
            site_id__in={s for s, _ in candidate_tags}, asset_tag__in={t for _, t in candidate_tags}
        ).exclude(asset_tag="").order_by().values_list("site_id", "asset_tag")}
        for row in parsed:
            tag = row.fields["asset_tag"]
            if tag and (row.site_id, tag.lower()) in taken:
                report.add_error(row.number, "asset_tag", f"Asset tag {tag!r} is already used at this site.")
            else:
                valid.append(row)
    else:
        valid = parsed
    return valid


def _org_sites(organization) -> dict[str, int]:
    return {code.lower(): pk for pk, code in Site.objects.filter(organization=organization).values_list("pk", "code")}


# --- vendors -----------------------------------------------------------------------------------------------

_IDENT_COLUMNS = {"lei": IdentifierScheme.LEI, "uei": IdentifierScheme.UEI, "duns": IdentifierScheme.DUNS,
                  "uscc": IdentifierScheme.USCC}


def _validate_vendor_chunk(chunk: list[tuple[int, dict]], *, seen_names: set, report: ImportReport
                           ) -> list[tuple[int, dict]]:
    parsed: list[tuple[int, dict]] = []
    for number, rec in chunk:
        before = report.error_count
        _check_cells(number, rec, VENDOR_COLUMNS, report)
        name = rec.get("name", "")
        if name and name.lower() in seen_names:
            report.add_error(number, "name", f"Vendor {name!r} appears twice in the file.")
        seen_names.add(name.lower())
        data: dict[str, Any] = {"name": name, "description": rec.get("description", ""), "identifiers": [],
                                "aliases": []}
        for col in ("country_of_incorporation", "country_of_headquarters"):
            code = rec.get(col, "").upper()
            if code and code not in dict(countries):
                report.add_error(number, col, f"{code!r} is not an ISO 3166 alpha-2 country code.")
            data[col] = code
        website = rec.get("website", "")
        if website:
            try:
                URLValidator(schemes=["http", "https"])(website)
            except ValidationError:
                report.add_error(number, "website", "Not a valid http(s) address.")
        data["website"] = website
        for col, scheme in _IDENT_COLUMNS.items():
            value = rec.get(col, "")
            if not value:
                continue
            try:
                data["identifiers"].append({"scheme": scheme, "value": identifier_validate(scheme, value)})
            except ValidationError as exc:
                report.add_error(number, col, " ".join(exc.messages))
        data["aliases"] = [{"name": a} for a in dict.fromkeys(
            " ".join(a.split()) for a in rec.get("aliases", "").split(";")) if a and a.lower() != name.lower()]
        if report.error_count == before:
            parsed.append((number, data))
    existing = vendor_ids_by_name({d["name"] for _, d in parsed})
    idents = {(d["scheme"], d["value"]) for _, r in parsed for d in r["identifiers"]}
    taken_idents: set[tuple[str, str]] = set()
    if idents:
        taken_idents = set(VendorIdentifier.objects.filter(value__in=[v for _, v in idents])
                           .values_list("scheme", "value"))
    valid = []
    for number, data in parsed:
        if data["name"].lower() in existing:
            report.add_error(number, "name", f"A vendor named {data['name']!r} (or with that alias) already exists.")
            continue
        clash = [f"{s.upper()} {v}" for s, v in ((i["scheme"], i["value"]) for i in data["identifiers"])
                 if (s, v) in taken_idents]
        if clash:
            report.add_error(number, "identifiers", f"Identifier already recorded for another vendor: {clash[0]}.")
            continue
        valid.append((number, data))
    return valid


# --- entry points ------------------------------------------------------------------------------------------

def vendor_choices_resolve(choices: dict[str, Any] | None, *, report: ImportReport | None = None,
                           stale_ok: bool = False) -> dict[str, int | None]:
    """The officer's answers to near-duplicate names ({name: vendor id or "new"}) as {lower-cased name: vendor id,
    or None to create the name as written}. A chosen vendor that is no longer recorded (merged, deleted since) is
    an ApplicationError: the import never silently falls back to creating the near-duplicate. With `report` (a
    dry run, `stale_ok`) the answer is dropped with a warning instead, so the preview asks again; the report also
    gets the chosen vendors' names."""
    from apps.vendors.models import Vendor

    resolved: dict[str, int | None] = {}
    for name, value in (choices or {}).items():
        resolved[str(name).lower()] = None if value == "new" else int(value)
    ids = {v for v in resolved.values() if v is not None}
    if ids:
        found = dict(Vendor.objects.filter(pk__in=ids).values_list("pk", "name"))
        for name, value in (choices or {}).items():
            if value != "new" and int(value) in found and report is not None:
                report.chosen_vendors[str(name)] = {"id": int(value), "name": found[int(value)]}
            if value != "new" and int(value) not in found and stale_ok and report is not None:
                report.warnings.append(f"The vendor chosen for \u201c{name}\u201d is no longer recorded: choose "
                                       "again below.")
                resolved.pop(str(name).lower(), None)
            elif value != "new" and int(value) not in found:
                raise ApplicationError(f"The vendor chosen for \u201c{name}\u201d is no longer recorded (merged or "
                                       "deleted): choose again in the preview.", code="import_choice_stale")
    return resolved


def _run(*, organization, kind: str, path: Path, fmt: str, commit: bool, actor=None,
         progress: Progress | None = None, today: dt.date | None = None,
         vendor_choices: dict[str, Any] | None = None, import_job_id: int | None = None) -> ImportReport:
    if kind not in KINDS:
        raise ApplicationError(f"Unknown import kind {kind!r}.", code="import_kind")
    report = ImportReport(kind=kind)
    chosen = vendor_choices_resolve(vendor_choices, report=report, stale_ok=not commit)
    chosen_ids = {name: vid for name, vid in chosen.items() if vid is not None}
    today = today or timezone.localdate()
    total = row_count_estimate(path, fmt)
    if progress:
        progress(0, total)
    sites = _org_sites(organization) if kind == "equipment" else {}
    site_codes = {pk: code.upper() for code, pk in sites.items()}
    seen: set = set()
    vendor_cache: dict[str, int] = {}
    pm_cache: dict[tuple[int, str], int] = {}
    new_vendors: dict[str, None] = {}
    unknown: dict[str, None] = {}  # names matching no recorded vendor (before the officer's choices)
    done = 0
    for chunk in _chunks(_records(path, fmt, KINDS[kind], report)):
        report.total_rows += len(chunk)
        if kind == "equipment":
            valid = _validate_equipment_chunk(chunk, sites=sites, seen_tags=seen, report=report, today=today)
            names = {n for r in valid for n in (r.brand, r.manufacturer, r.software_supplier,
                                                r.remote_access_vendor) if n}
            vendor_cache.update(vendor_ids_by_name(names - set(vendor_cache)))
            for r in valid:
                for n in (r.brand, r.manufacturer, r.software_supplier, r.remote_access_vendor):
                    if n and n.lower() not in vendor_cache:
                        unknown.setdefault(n)
                        if n.lower() in chosen_ids:  # the officer chose a recorded vendor for this name
                            vendor_cache[n.lower()] = chosen_ids[n.lower()]
                        else:
                            new_vendors.setdefault(n)
            if len(report.preview) < PREVIEW_ROWS:
                for r in valid[: PREVIEW_ROWS - len(report.preview)]:
                    brand = r.brand if r.brand.lower() not in chosen_ids else \
                        f"{r.brand} \u2192 {_chosen_name(report, r.brand)}"
                    report.preview.append({"row": r.number, "site": site_codes.get(r.site_id, ""),
                                           "category": r.category,
                        "brand": brand, "model_number": r.model_number, "quantity": r.fields["quantity"],
                        "asset_tag": r.fields["asset_tag"], "serial_number": r.fields["serial_number"]})
        else:
            valid = _validate_vendor_chunk(chunk, seen_names=seen, report=report)
            if len(report.preview) < PREVIEW_ROWS:
                for number, d in valid[: PREVIEW_ROWS - len(report.preview)]:
                    report.preview.append({"row": number, "name": d["name"],
                                           "country": d["country_of_incorporation"],
                                           "aliases": "; ".join(a["name"] for a in d["aliases"]),
                                           "identifiers": ", ".join(f"{i['scheme']} {i['value']}"
                                                                    for i in d["identifiers"])})
        report.valid_rows += len(valid)
        if commit:
            if report.error_count:
                raise ApplicationError(f"Row {report.errors[0].row}, column {report.errors[0].column}: "
                                       f"{report.errors[0].message} Nothing was saved.", code="import_invalid")
            if kind == "equipment":
                ids = _write_equipment(valid, vendor_cache=vendor_cache, pm_cache=pm_cache, actor=actor,
                                       import_job_id=import_job_id)
                report.created += len(ids)
                report.equipment_ids.extend(ids)
            else:
                report.created += _write_vendors(valid, actor=actor)
        done += len(chunk)
        if progress:
            progress(done, max(total, done))
    report.new_vendors = list(new_vendors)[:200]
    if not commit:
        _close_names(report, list(unknown)[:CLOSE_NAME_CHECKS])
    if commit and kind == "equipment":
        report.vendor_ids = sorted(set(vendor_cache.values()))
    if report.total_rows == 0 and not report.error_count:
        report.add_error(1, "", "The file has a header row but no data rows.")
    if commit and not report.ok:
        raise ApplicationError(f"{report.errors[0].message} Nothing was saved.", code="import_invalid")
    return report


def _close_names(report: ImportReport, names: list[str]) -> None:
    """The typo check ("did you mean ...?", apps.vendors.selectors.vendor_names_like) of the names no recorded
    vendor carries, with the suggested vendors' ids for the preview's choice (two more queries in all)."""
    from apps.vendors.selectors import vendor_names_like

    for name in names:
        close = vendor_names_like(name)
        if close:
            report.close_vendor_names[name] = close
    ids = vendor_ids_by_name({c for close in report.close_vendor_names.values() for c in close})
    for name, close in report.close_vendor_names.items():
        options: dict[int, str] = {}
        for c in close:
            if c.lower() in ids:
                options.setdefault(ids[c.lower()], c)
        report.close_vendors[name] = [{"id": vid, "name": n} for vid, n in options.items()]


def _chosen_name(report: ImportReport, name: str) -> str:
    for written, vendor in report.chosen_vendors.items():
        if written.lower() == name.lower():
            return vendor["name"]
    return ""


def import_validate(*, organization, kind: str, path: Path, fmt: str, progress: Progress | None = None,
                    today: dt.date | None = None, vendor_choices: dict[str, Any] | None = None) -> ImportReport:
    """Dry run: every row checked, errors per row and column, a preview of valid rows. Writes nothing.
    `vendor_choices` ({name: vendor id or "new"}) maps near-duplicate names to the recorded vendor chosen."""
    return _run(organization=organization, kind=kind, path=path, fmt=fmt, commit=False, progress=progress,
                today=today, vendor_choices=vendor_choices)


@write_transaction()
def import_commit(*, organization, kind: str, path: Path, fmt: str, actor, filename: str = "",
                  progress: Progress | None = None, today: dt.date | None = None,
                  vendor_choices: dict[str, Any] | None = None, import_job_id: int | None = None) -> ImportReport:
    """Validate and save every row in one transaction; any invalid row raises ApplicationError and nothing
    is saved. Unknown vendor names become new vendors (screened like any other), except the names
    `vendor_choices` maps to a recorded vendor. The units keep `import_job_id`. One audit event."""
    with equipment_counts_deferred():  # each site's tallies recounted once at the end, not once per chunk
        report = _run(organization=organization, kind=kind, path=path, fmt=fmt, commit=True, actor=actor,
                      progress=progress, today=today, vendor_choices=vendor_choices, import_job_id=import_job_id)
    report.committed = True
    audit_record(action=f"inventory.import.{kind}", actor=actor, organization_id=organization.pk,
                 object_type="inventory.import", object_repr=filename[:300] or kind,
                 changes={"rows": report.created, "new_vendors": report.new_vendors[:50], "file": filename,
                          "vendor_choices": dict(list((vendor_choices or {}).items())[:50])})
    return report


def _vendor_get_or_create(name: str, cache: dict[str, int], actor) -> int:
    from apps.vendors.services import vendor_create

    key = name.lower()
    if key not in cache:
        cache[key] = vendor_create(name=name, actor=actor).pk
    return cache[key]


def _write_equipment(rows: list[_EquipmentRow], *, vendor_cache: dict[str, int],
                     pm_cache: dict[tuple[int, str], int], actor, import_job_id: int | None = None) -> list[int]:
    """Save the rows; returns the new units' ids."""
    from simple_history.utils import bulk_create_with_history

    user = actor if getattr(actor, "is_authenticated", False) else None
    needed: set[tuple[int, str]] = set()
    for r in rows:
        needed.add((_vendor_get_or_create(r.brand, vendor_cache, actor), r.model_number))
    missing = needed - set(pm_cache)
    if missing:
        found = ProductModel.objects.filter(brand_id__in={b for b, _ in missing},
                                            model_number__in={n for _, n in missing})
        for pk, brand_id, number in found.values_list("pk", "brand_id", "model_number"):
            if (brand_id, number) in missing:
                pm_cache[(brand_id, number)] = pk
    # New product models of this chunk: validated without per-row queries, created in bulk (with history).
    new_models: dict[tuple[int, str], ProductModel] = {}
    for r in rows:
        brand_id = vendor_cache[r.brand.lower()]
        key = (brand_id, r.model_number)
        if key in pm_cache or key in new_models:
            continue
        maker = _vendor_get_or_create(r.manufacturer, vendor_cache, actor) if r.manufacturer else None
        software = _vendor_get_or_create(r.software_supplier, vendor_cache, actor) if r.software_supplier else None
        pm = ProductModel(brand_id=brand_id, model_number=r.model_number, category=r.category,
                          manufacturer_id=maker if maker != brand_id else None, software_supplier_id=software)
        try:
            pm.clean_fields(exclude=["brand", "manufacturer", "software_supplier"])
            pm.clean()
        except ValidationError as exc:
            raise ApplicationError(f"Row {r.number}: the product model is invalid: {'; '.join(exc.messages)} "
                                   "Nothing was saved.", code="import_invalid") from exc
        new_models[key] = pm
    if new_models:
        created = bulk_create_with_history(list(new_models.values()), ProductModel, batch_size=1000,
                                           default_user=user, default_change_reason="import")
        for pm in created:
            pm_cache[(pm.brand_id, pm.model_number)] = pm.pk
    values = [{"site_id": r.site_id, "product_model_id": pm_cache[(vendor_cache[r.brand.lower()], r.model_number)],
               "category": r.category, "remote_access_vendor_id": (
                   _vendor_get_or_create(r.remote_access_vendor, vendor_cache, actor)
                   if r.remote_access_vendor else None), "import_job_id": import_job_id, **r.fields}
              for r in rows]
    if copy_supported():
        ids = _equipment_copy(values, user_id=user.pk if user else None)
    else:
        objs = [Equipment(**v) for v in values]
        bulk_create_with_history(objs, Equipment, batch_size=1000, default_user=user, default_change_reason="import")
        ids = [o.pk for o in objs if o.pk is not None]
    equipment_counts_touch({r.site_id for r in rows})  # neither path sends post_save
    return ids


@functools.cache
def _equipment_columns() -> tuple[tuple[str, ...], dict[str, object], tuple[str, ...], dict[str, object]]:
    """The columns and default values of Equipment and of its history model, worked out once per process."""
    history = Equipment.history.model
    return (tuple(f.attname for f in Equipment._meta.concrete_fields), field_defaults(Equipment),
            tuple(f.attname for f in history._meta.concrete_fields if f.attname != "history_id"),
            {f.attname: f.get_default() for f in history._meta.concrete_fields})


def _equipment_copy(values: list[dict[str, Any]], *, user_id: int | None) -> list[int]:
    """The units and their history rows ("+", reason "import", like bulk_create_with_history) written with COPY,
    their ids reserved from the table's sequence first (apps.common.copy). The rows were validated by
    _validate_equipment_chunk (lengths, choices, dates) and the product models exist; the database checks the
    constraints (the unique asset tag per site, foreign keys) as for any insert."""
    columns, defaults, history_columns, history_defaults = _equipment_columns()
    ids = ids_reserve(Equipment, len(values))
    now = timezone.now()
    stamped = {**defaults, "created_at": now, "updated_at": now}
    full = [{**stamped, **v, "id": pk} for pk, v in zip(ids, values, strict=True)]
    copy_rows(Equipment, columns, (tuple(row[c] for c in columns) for row in full))
    history_extra = {**history_defaults, "history_date": now, "history_change_reason": "import",
                     "history_type": "+", "history_user_id": user_id}
    copy_rows(Equipment.history.model, history_columns,
              (tuple(row[c] if c in row else history_extra[c] for c in history_columns) for row in full))
    return ids


def _write_vendors(rows: list[tuple[int, dict]], *, actor) -> int:
    from apps.vendors.services import vendor_create

    for _, data in rows:
        data = dict(data)
        vendor_create(actor=actor, aliases=data.pop("aliases"), identifiers=data.pop("identifiers"), **data)
    return len(rows)


def column_codes(column: Column) -> list[tuple[str, str]]:
    """(code, meaning) of every value a coded column accepts, from the choices classes the import checks against
    (one source of truth: the template, its codes sheet and the help page list exactly what is accepted)."""
    if column.codes is None:
        return []
    if column.codes == YES_NO:
        return [("yes", "Yes (also y, true, 1)"), ("no", "No (also n, false, 0, or an empty cell)")]
    if column.codes == COUNTRY:
        return [(code, str(name)) for code, name in countries]
    return [(key, str(label)) for key, label in column.codes.choices]


def import_codes(kind: str) -> list[tuple[str, str, str]]:
    """(column, code, meaning) for every coded column of `kind`, in column order."""
    return [(c.name, code, meaning) for c in KINDS[kind] for code, meaning in column_codes(c)]


def _csv_bytes(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode()


def import_codes_csv(kind: str) -> bytes:
    """The codes download that goes with the CSV template (a CSV has one sheet)."""
    return _csv_bytes([["column", "code", "meaning"], *[list(r) for r in import_codes(kind)]])


def import_template(kind: str, fmt: str) -> bytes:
    """An empty file with the header row and one example row, in CSV or XLSX. The XLSX also has a "help" sheet
    (each column) and a "codes" sheet (every allowed code of the coded columns); the CSV's codes are
    `import_codes_csv`."""
    columns = KINDS[kind]
    header = [c.name for c in columns]
    example = [c.example for c in columns]
    if fmt == "csv":
        return _csv_bytes([header, example])
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = kind
    ws.append(header)
    ws.append(example)
    help_ws = wb.create_sheet("help")
    help_ws.append(["column", "required", "meaning"])
    for c in columns:
        help_ws.append([c.name, "yes" if c.required else "no", c.help])
    codes_ws = wb.create_sheet("codes")
    codes_ws.append(["column", "code", "meaning"])
    for row in import_codes(kind):
        codes_ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
