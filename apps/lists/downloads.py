"""Downloading list files safely: the only code in the registry that fetches a URL.

Source URLs are set by admins, yet a mistyped or hijacked URL must not turn the worker into a proxy into the
internal network, fill the disk, or replace a list with an HTML error page. So every download:

- uses https only (http only when settings.LISTS_ALLOW_HTTP, which defaults to DEBUG);
- follows redirects by hand (at most MAX_REDIRECTS) and re-checks every hop's scheme and host;
- refuses hosts that resolve to loopback, private, link-local, unique-local or other non-global addresses,
  unless the host is in settings.LISTS_ALLOWED_HOSTS (an admin allow-list, e.g. an internal mirror);
- sends the previous ETag / Last-Modified (conditional GET: 304 means unchanged);
- streams to a file with connect/read timeouts, an overall deadline and a size cap
  (settings.LISTS_DOWNLOAD_MAX_BYTES), asks for an unencoded body so the cap and the Content-Length check
  apply to what is stored;
- enforces the overall deadline (settings.LISTS_DOWNLOAD_TOTAL_TIMEOUT) even against a server that trickles
  one byte at a time: requests' read timeout is per socket read, so a trickle never trips it; a watchdog
  timer shuts the socket down at the deadline (interrupting a blocked read), and the body is read with
  ``read1`` (what one socket read returns) so the deadline is also checked, and ``on_progress`` called,
  after every read rather than every 256 KB;
- refuses an empty body, an HTML page and a body shorter than its Content-Length, with a reason. A body
  without Content-Length (chunked, or ended by closing the connection) cannot be checked here: its
  completeness is checked by the format's parser (final CSV record, closing XML root, closed JSON document).

`DownloadError.retryable` tells the task whether to retry with backoff (network errors, 5xx, truncation)
or to give up (refusals that a retry cannot fix).
"""
from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import requests
import urllib3
import urllib3.exceptions
from django.conf import settings
from requests.adapters import HTTPAdapter

MAX_REDIRECTS = 5
CHUNK = 256 * 1024
USER_AGENT = "vendorrisk-lists/1.0 (+https://github.com/; restricted-party list refresh)"
_HTML_START = re.compile(rb"^\s*(<!doctype\s+html|<html|<head|<body)", re.IGNORECASE)


class DownloadError(Exception):
    """The download was refused or failed; `reason` is recorded on the run."""

    def __init__(self, reason: str, *, retryable: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


@dataclass
class DownloadResult:
    not_modified: bool
    path: Path | None = None
    etag: str = ""
    last_modified: str = ""
    size: int = 0
    final_url: str = ""


def _allowed_hosts() -> set[str]:
    return {h.strip().lower() for h in getattr(settings, "LISTS_ALLOWED_HOSTS", []) if h.strip()}


def url_check(url: str, *, allow_http: bool | None = None, allowed_hosts: set[str] | None = None) -> None:
    """Refuse a URL whose scheme or resolved address is not allowed. Raises DownloadError."""
    allow_http = settings.LISTS_ALLOW_HTTP if allow_http is None else allow_http
    allowed_hosts = _allowed_hosts() if allowed_hosts is None else allowed_hosts
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise DownloadError(f"Refused {url!r}: only https URLs are fetched.")
    if scheme == "http" and not allow_http:
        raise DownloadError(f"Refused {url!r}: plain http is allowed only with LISTS_ALLOW_HTTP (DEBUG).")
    host = (parts.hostname or "").lower()
    if not host:
        raise DownloadError(f"Refused {url!r}: no host.")
    if parts.username or parts.password:
        raise DownloadError(f"Refused {url!r}: credentials in URLs are not accepted.")
    if host in allowed_hosts:
        return
    port = parts.port or (443 if scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise DownloadError(f"Cannot resolve {host}: {exc}", retryable=True) from exc
    for info in infos:
        refused = address_refusal(info[4][0])
        if refused:
            raise DownloadError(
                f"Refused {url!r}: {host} resolves to {refused} "
                "(add the host to LISTS_ALLOWED_HOSTS if this internal mirror is intended)."
            )


_NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: local translators, never public


def _embedded_ipv4(addr: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries: mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d),
    NAT64 (64:ff9b::a.b.c.d), 6to4 (2002:aabb:ccdd::) and Teredo (server and client). A gateway translates
    each to that IPv4 address, so "[64:ff9b::7f00:1]" reaches 127.0.0.1 although Python calls it global."""
    found = []
    if addr.ipv4_mapped:
        found.append(addr.ipv4_mapped)
    if addr in _IPV4_COMPATIBLE or addr in _NAT64_WELL_KNOWN:
        found.append(ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF))
    if addr.sixtofour:
        found.append(addr.sixtofour)
    if addr.teredo:
        found.extend(addr.teredo)
    return found


def address_refusal(address: str) -> str:
    """Why a download may not go to `address` ("" when it may): loopback, private, link-local, unique-local,
    reserved and the like, also when written as an IPv6 form that embeds such an IPv4 address."""
    addr = ipaddress.ip_address(address.split("%")[0])
    if addr in _NAT64_LOCAL_USE:
        return f"the non-public address {addr} (a local-use NAT64 prefix)"
    candidates = [addr, *(_embedded_ipv4(addr) if isinstance(addr, ipaddress.IPv6Address) else [])]
    for candidate in candidates:
        if not candidate.is_global or candidate.is_multicast:
            shown = f"{addr} (which carries {candidate})" if candidate is not addr else str(addr)
            return f"the non-public address {shown}"
    return ""


def _peer_check(host: str, sock: socket.socket, allowed_hosts: set[str] | None = None) -> None:
    """Called once the socket is connected: the address actually connected to must pass `address_refusal`.
    Checking the name before connecting is not enough: a second DNS answer (rebinding) can point the same name
    at 127.0.0.1 between the check and the connect. `allowed_hosts`: the allow-list of the caller (None: the
    list downloads' LISTS_ALLOWED_HOSTS; webhooks pass WEBHOOK_ALLOWED_HOSTS)."""
    allowed_hosts = _allowed_hosts() if allowed_hosts is None else allowed_hosts
    if (host or "").lower().strip("[]") in allowed_hosts:
        return
    refused = address_refusal(sock.getpeername()[0])
    if refused:
        sock.close()
        raise DownloadError(f"Refused {host}: the connection went to {refused} (DNS changed after the check).")


def _checked_pool_classes(allowed_hosts: set[str] | None) -> dict[str, type]:
    """urllib3 pool classes whose new connections pass `_peer_check` with `allowed_hosts`."""

    class _CheckedHTTPConnection(urllib3.connection.HTTPConnection):
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            _peer_check(self.host, sock, allowed_hosts)
            return sock

    class _CheckedHTTPSConnection(urllib3.connection.HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            _peer_check(self.host, sock, allowed_hosts)
            return sock

    class _CheckedHTTPPool(urllib3.HTTPConnectionPool):
        ConnectionCls = _CheckedHTTPConnection

    class _CheckedHTTPSPool(urllib3.HTTPSConnectionPool):
        ConnectionCls = _CheckedHTTPSConnection

    return {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}


class _CheckedAdapter(HTTPAdapter):
    """requests' adapter whose connections check the address they connected to (`_peer_check`)."""

    def __init__(self, *args, allowed_hosts: set[str] | None = None, **kwargs) -> None:
        self._pool_classes = _checked_pool_classes(allowed_hosts)
        super().__init__(*args, **kwargs)

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(self._pool_classes)


def checked_session(*, allowed_hosts: set[str] | None = None) -> requests.Session:
    """A requests session whose every connection is checked where it lands (see `_peer_check`).
    `allowed_hosts`: host names exempt from the address check (None: settings.LISTS_ALLOWED_HOSTS)."""
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: the address checked is the address used
    adapter = _CheckedAdapter(max_retries=0, allowed_hosts=allowed_hosts)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def filename_for(url: str, default: str = "download.bin") -> str:
    """The file name a parser will see: the URL's last path segment, lower-cased (SDN.CSV -> sdn.csv)."""
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1]).strip().lower()
    name = re.sub(r"[^a-z0-9._-]", "_", name)
    if not name or name in (".", ".."):
        return default
    return name


def download(
    url: str,
    dest: Path,
    *,
    etag: str = "",
    last_modified: str = "",
    max_bytes: int | None = None,
    timeout: float | None = None,
    total_timeout: float | None = None,
    allow_http: bool | None = None,
    allowed_hosts: set[str] | None = None,
    on_progress: Callable[[int], None] | None = None,
    session: requests.Session | None = None,
) -> DownloadResult:
    """Fetch `url` into the file `dest`. Returns not_modified=True on 304. Raises DownloadError."""
    max_bytes = settings.LISTS_DOWNLOAD_MAX_BYTES if max_bytes is None else max_bytes
    timeout = settings.LISTS_DOWNLOAD_TIMEOUT if timeout is None else timeout
    if total_timeout is None:
        total_timeout = getattr(settings, "LISTS_DOWNLOAD_TOTAL_TIMEOUT", 1800.0)
    session = session or checked_session()
    deadline = time.monotonic() + total_timeout
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        url_check(current, allow_http=allow_http, allowed_hosts=allowed_hosts)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DownloadError(_deadline_reason(url, total_timeout, 0), retryable=True)
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
        if current == url:
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
        try:
            resp = session.get(current, headers=headers, stream=True, allow_redirects=False,
                               timeout=(min(timeout, 30.0, remaining), min(timeout, remaining)))
        except requests.RequestException as exc:
            raise DownloadError(f"Network error fetching {current}: {exc.__class__.__name__}: {exc}",
                                retryable=True) from exc
        with resp:
            if resp.is_redirect:
                location = resp.headers.get("Location", "")
                if not location:
                    raise DownloadError(f"HTTP {resp.status_code} redirect without Location from {current}.")
                current = urljoin(current, location)
                continue
            if resp.status_code == 304:
                return DownloadResult(not_modified=True, etag=resp.headers.get("ETag", etag),
                                      last_modified=resp.headers.get("Last-Modified", last_modified),
                                      final_url=current)
            if resp.status_code >= 500 or resp.status_code in (408, 429):
                raise DownloadError(f"HTTP {resp.status_code} from {current}.", retryable=True)
            if resp.status_code != 200:
                raise DownloadError(f"HTTP {resp.status_code} from {current}.")
            return _body_save(resp, current, dest, max_bytes=max_bytes, deadline=deadline,
                              total_timeout=total_timeout, on_progress=on_progress)
    raise DownloadError(f"More than {MAX_REDIRECTS} redirects from {url}.")


def _deadline_reason(url: str, total_timeout: float, size: int) -> str:
    return (f"{url}: the download did not finish within its deadline of {total_timeout:g} s "
            f"(LISTS_DOWNLOAD_TOTAL_TIMEOUT); stopped after {size} bytes (server too slow or trickling).")


def _read_chunks(resp) -> Iterator[bytes]:
    """The body as the socket delivers it: each ``read1`` returns after one read (at most CHUNK bytes), so the
    caller regains control after every read even when the server sends a byte at a time. (iter_content reads
    until a whole CHUNK has arrived, which a trickle makes last for hours.)"""
    raw = resp.raw
    while True:
        chunk = raw.read1(CHUNK, decode_content=True)
        if not chunk:
            return
        yield chunk


def _watchdog_start(resp, deadline: float) -> tuple[threading.Timer, threading.Event]:
    """At the deadline, shut the response's socket down for reading: a read blocked on a silent or trickling
    server returns at once (urllib3's HTTPResponse.shutdown exists for this). The event tells the reader that
    an end of data after that moment is the watchdog's doing, not the end of the body."""
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        with contextlib.suppress(Exception):  # already closed or released: nothing left to interrupt
            resp.raw.shutdown()

    timer = threading.Timer(max(0.0, deadline - time.monotonic()), expire)
    timer.daemon = True
    timer.start()
    return timer, expired


def _body_save(resp, url: str, dest: Path, *, max_bytes: int, deadline: float, total_timeout: float,
               on_progress: Callable[[int], None] | None) -> DownloadResult:
    declared_raw = resp.headers.get("Content-Length")
    declared = int(declared_raw) if declared_raw and declared_raw.isdigit() else None
    if declared is not None and declared > max_bytes:
        raise DownloadError(f"{url} announces {declared} bytes, more than LISTS_DOWNLOAD_MAX_BYTES={max_bytes}.")
    ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if ctype in ("text/html", "application/xhtml+xml"):
        raise DownloadError(f"{url} returned an HTML page (Content-Type {ctype}), not a list file.")
    size = 0
    first = b""
    watchdog, expired = _watchdog_start(resp, deadline)
    try:
        with open(dest, "wb") as fh:
            for chunk in _read_chunks(resp):
                if expired.is_set() or time.monotonic() > deadline:
                    raise DownloadError(_deadline_reason(url, total_timeout, size), retryable=True)
                if len(first) < 512:
                    first += chunk[: 512 - len(first)]
                    if len(first) >= 64 and _HTML_START.match(first.lstrip(b"\xef\xbb\xbf")):
                        raise DownloadError(f"{url} returned an HTML page, not a list file.")
                size += len(chunk)
                if size > max_bytes:
                    raise DownloadError(f"{url} is larger than LISTS_DOWNLOAD_MAX_BYTES={max_bytes}; stopped.")
                fh.write(chunk)
                if on_progress:
                    on_progress(size)
        if expired.is_set():  # the watchdog ended the read: what arrived is not the whole body
            raise DownloadError(_deadline_reason(url, total_timeout, size), retryable=True)
    except DownloadError:
        dest.unlink(missing_ok=True)
        raise
    except (urllib3.exceptions.HTTPError, requests.RequestException) as exc:
        dest.unlink(missing_ok=True)
        if expired.is_set():
            raise DownloadError(_deadline_reason(url, total_timeout, size), retryable=True) from exc
        if isinstance(exc, urllib3.exceptions.ProtocolError | requests.exceptions.ChunkedEncodingError):
            raise DownloadError(f"{url}: body truncated after {size} bytes ({exc.__class__.__name__}).",
                                retryable=True) from exc
        raise DownloadError(f"Network error reading {url} after {size} bytes: {exc.__class__.__name__}",
                            retryable=True) from exc
    finally:
        watchdog.cancel()
    if size == 0:
        dest.unlink(missing_ok=True)
        raise DownloadError(f"{url} returned an empty body.")
    if _HTML_START.match(first.lstrip(b"\xef\xbb\xbf")):
        dest.unlink(missing_ok=True)
        raise DownloadError(f"{url} returned an HTML page, not a list file.")
    if declared is not None and size != declared:
        dest.unlink(missing_ok=True)
        raise DownloadError(f"{url}: body truncated: {size} of {declared} bytes.", retryable=True)
    return DownloadResult(not_modified=False, path=dest, etag=resp.headers.get("ETag", ""),
                          last_modified=resp.headers.get("Last-Modified", ""), size=size, final_url=url)
