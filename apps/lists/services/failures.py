"""Failed refreshes and imports in words: what went wrong, that the list in use is still the last good version
(which, how old), and what to do. The run keeps the technical reason (`FetchRun.error`); pages show this
explanation once, with the technical reason behind a toggle for the people who can act on it.

The reasons come from `apps.lists.downloads` (DownloadError) and the engine (`ingest`); the patterns below
follow their wording, and `tests/lists/test_failures.py` pins each one, so a reworded message fails a test
rather than falling through to the generic text.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..choices import RunTrigger
from ..models import ListSource, ListVersion
from ..selectors import list_version_in_use_text


@dataclass(frozen=True)
class FailureExplanation:
    """One failure for people: `headline` (what happened), `in_use` (the version screening still uses),
    `advice` (what to do), `retry_helps` (a retry may succeed as it is), `detail` (the technical reason)."""

    kind: str
    headline: str
    in_use: str
    advice: str
    retry_helps: bool
    detail: str
    title: str = "Last refresh failed"  # "Last import failed" for an offline import or an upload
    advice_others: str = ("The list's administrators (a registry curator, for a public list) can retry or upload "
                          "the file; checks keep using the version in use meanwhile.")

    @property
    def text(self) -> str:
        return " ".join(p for p in (self.headline, self.in_use, self.advice) if p)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or url).lower()


def _first_line(text: str, limit: int = 240) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


_RETRY = ("Retry later (a scheduled or queued refresh also retries by itself a few times); on a site without "
          "internet access, upload the file instead.")
_CHECK_URL = "An administrator should check the list's address, or upload the file instead."

# (kind, pattern, headline template, advice, retry helps). Templates may use {host}, {code}, {line}.
_RULES: list[tuple[str, re.Pattern, str, str, bool]] = [
    ("offline", re.compile(r"^Cannot resolve (?P<host>[^\s:]+)"),
     "The registry could not reach {host} (no network, or the name could not be looked up in DNS).", _RETRY, True),
    ("timeout", re.compile(r"^Network error fetching (?P<url>\S+): \w*Timeout"),
     "{host} did not answer in time (a slow or blocked network, or the site is down).", _RETRY, True),
    ("unreachable", re.compile(r"^Network error fetching (?P<url>\S+): "),
     "The registry could not connect to {host} (no network, a firewall, or the site is down).", _RETRY, True),
    ("interrupted", re.compile(r"^Network error reading (?P<url>\S+) after"),
     "The connection to {host} broke off during the download.", _RETRY, True),
    ("timeout", re.compile(r"^(?P<url>\S+): the download did not finish within its deadline"),
     "The download from {host} took longer than allowed (a very slow connection).", _RETRY, True),
    ("truncated", re.compile(r"^(?P<url>\S+?):? body truncated"),
     "The download from {host} was cut off before the end of the file.", _RETRY, True),
    ("server", re.compile(r"^HTTP (?P<code>5\d\d|408|429) from (?P<url>\S+?)\.?$"),
     "{host} answered with an error (HTTP {code}); this is usually temporary.", _RETRY, True),
    ("not_found", re.compile(r"^HTTP (?P<code>\d{3}) from (?P<url>\S+?)\.?$"),
     "{host} refused the download (HTTP {code}): the file may have moved.", _CHECK_URL, False),
    ("refused", re.compile(r"^Refused (?P<url>\S+?)[:,]? "),
     "The list's address was refused for safety (only public https addresses are fetched).", _CHECK_URL, False),
    ("redirects", re.compile(r"^More than \d+ redirects from (?P<url>\S+?)\.?$"),
     "{host} kept redirecting the download.", _CHECK_URL, False),
    ("not_a_list", re.compile(r"^(?P<url>\S+) returned an HTML page"),
     "{host} sent a web page instead of the list file (often a maintenance or sign-in page).", _RETRY, False),
    ("empty", re.compile(r"^(?P<url>\S+) returned an empty body"),
     "{host} sent an empty file.", _RETRY, False),
    ("too_large", re.compile(r"^(?P<url>\S+) (?:announces|is larger than)"),
     "The file at {host} is larger than the registry accepts (LISTS_DOWNLOAD_MAX_BYTES).", _CHECK_URL, False),
    ("bad_file", re.compile(r"^(?:Parse error|Wrong encoding): (?P<line>.*)", re.S),
     "The file could not be read as this list's format: {line}",
     "Upload a good copy of the publisher's file, or retry later if the publisher fixes it.", False),
    ("busy", re.compile(r"^Another refresh of \S+ is running"),
     "Another refresh of this list was running at the same time.", "Retry in a few minutes.", True),
    ("lease", re.compile(r"^The source's lease ran out"),
     "The refresh took too long and was taken over by another one.", "Retry.", True),
    ("database", re.compile(r"^Database error"),
     "A database error interrupted the import; nothing was changed.", "Retry; the worker also retries by itself.",
     True),
    ("no_url", re.compile(r"has no URL"),
     "This list has no download address.", "Upload its file instead.", False),
    ("missing_file", re.compile(r"^(?:No such file|No file given)"),
     "The file to import was not found.", "Upload the file again.", False),
]


def fetch_run_failure_explain(*, reason: str, source: ListSource | None = None, active: ListVersion | None = None,
                              trigger: str = "", now: dt.datetime | None = None) -> FailureExplanation:
    """Explain a failed refresh or import from its recorded reason (`FetchRun.error`): the classification, the
    version still in use (`active`: the source's active version, or None) and what to do (`advice` for those
    who may retry or upload, `advice_others` for everyone else)."""
    reason = (reason or "").strip()
    title = "Last import failed" if trigger == RunTrigger.IMPORT else "Last refresh failed"
    in_use = list_version_in_use_text(active=active, now=now)
    for kind, pattern, headline, advice, retry_helps in _RULES:
        found = pattern.search(reason)
        if not found:
            continue
        groups = found.groupdict()
        host = groups.get("host") or (_host(groups["url"].rstrip(".:")) if groups.get("url") else "the publisher")
        text = headline.format(host=host, code=groups.get("code", ""), line=_first_line(groups.get("line", "")))
        text = text if text.endswith((".", "?", "!", "…")) else f"{text}."
        return FailureExplanation(kind=kind, headline=text, in_use=in_use, advice=advice, retry_helps=retry_helps,
                                  detail=reason, title=title)
    name = source.name if source is not None else "the list"
    return FailureExplanation(kind="other", headline=f"The refresh of {name} failed.", in_use=in_use,
                              advice="Retry; if it fails again, an administrator can read the technical detail.",
                              retry_helps=True, detail=reason, title=title)
