"""The ReDoc bundle, as the API reference page at /api/v1/redoc/ serves it.

drf-spectacular-sidecar vendors ReDoc's standalone bundle, but that bundle draws the "API docs by Redocly"
badge from https://cdn.redoc.ly/redoc/logo-mini.svg on every page load (ReDoc has no option to turn it off:
Redocly/redoc#2108, drf-spectacular-sidecar#11). Under our Content-Security-Policy (img-src 'self' data:) the
browser refuses that request and reports a violation, and on a network without internet access it is a failed
connection per visit. We serve the vendored file with that one URL replaced by an empty data: image, which
the bundle's own onError handler hides; the badge's text link stays. Nothing else is changed.
"""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import drf_spectacular_sidecar
from django.templatetags.static import static

REDOC_BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
REDOC_LOGO_URL = "https://cdn.redoc.ly/redoc/logo-mini.svg"
EMPTY_IMAGE = "data:,"
SOURCE_MAP_COMMENT = "//# sourceMappingURL=redoc.standalone.js.map"


@functools.cache
def redoc_standalone_script() -> tuple[bytes, str]:
    """The sidecar's redoc.standalone.js without its request to another origin, and a short digest of it
    (used in the script URL, so a browser never keeps an old bundle after an upgrade).

    Read once per process. The source map comment points at the sidecar's static file, since the script is
    no longer served next to it.
    """
    path = Path(drf_spectacular_sidecar.__file__).parent / "static" / REDOC_BUNDLE
    text = path.read_text(encoding="utf-8")
    text = text.replace(REDOC_LOGO_URL, EMPTY_IMAGE)
    text = text.replace(SOURCE_MAP_COMMENT, f"//# sourceMappingURL={static(REDOC_BUNDLE + '.map')}")
    body = text.encode("utf-8")
    return body, hashlib.sha256(body).hexdigest()[:16]
