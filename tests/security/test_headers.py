"""Security headers on the officer pages and the API docs: enforced CSP without inline script, framing
denied, referrer policy, no MIME sniffing (ASVS 14.4)."""
import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def _directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def assert_secure_headers(response):
    assert "Content-Security-Policy-Report-Only" not in response  # enforced, not report-only
    csp = _directives(response["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no other origin
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    return csp


def test_login_page_has_strict_csp_and_no_inline_script(client):
    response = client.get(reverse("web:login"))
    assert response.status_code == 200
    csp = assert_secure_headers(response)
    assert csp["style-src"] == ["'self'"]
    assert not INLINE_SCRIPT.search(response.content.decode())


def test_dashboard_has_strict_csp_and_no_inline_script(client, officer, login):
    login(officer)
    response = client.get(reverse("web:dashboard"))
    assert response.status_code == 200
    assert_secure_headers(response)
    assert not INLINE_SCRIPT.search(response.content.decode())


def test_admin_login_has_strict_csp(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 200
    assert_secure_headers(response)
    assert not INLINE_SCRIPT.search(response.content.decode())


def test_api_docs_page_keeps_scripts_same_origin(client, officer, login):
    login(officer)
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    csp = assert_secure_headers(response)
    assert "'unsafe-inline'" in csp["style-src"]  # the documented exception: Swagger UI's run-time styles
    body = response.content.decode()
    assert "cdn." not in body and "https://" not in body.split("<body")[0]  # everything served from here
    # ApiDocsView is drf-spectacular's split view: its init script is a file, which the CSP allows.
    assert not INLINE_SCRIPT.search(body)


def test_split_swagger_view_serves_its_init_script_as_a_file(client, officer, settings, login):
    """What the API docs need to work under this CSP: drf-spectacular's split view."""
    settings.ROOT_URLCONF = "tests.security.urls_docs"
    login(officer)
    page = client.get("/docs/")
    body = page.content.decode()
    assert page.status_code == 200 and not INLINE_SCRIPT.search(body)
    script_src = re.search(r'<script src="([^"]*script[^"]*)"', body).group(1).replace("&amp;", "&")
    script = client.get(script_src)
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', body):
        assert asset.startswith("/static/drf_spectacular_sidecar/")  # vendored, works offline


def test_redoc_page_has_no_inline_script_and_nothing_from_another_origin(client, officer, login):
    """ReDoc (templates/api/redoc.html): a <redoc spec-url> element and same-origin files only. Its run-time
    styles and blob: search worker are the path's documented exceptions; scripts stay 'self'-only."""
    login(officer)
    response = client.get("/api/v1/redoc/")
    assert response.status_code == 200
    csp = assert_secure_headers(response)
    assert set(csp["style-src"]) == {"'self'", "'unsafe-inline'"} and csp["worker-src"] == ["blob:"]
    body = response.content.decode()
    assert not INLINE_SCRIPT.search(body) and "<style" not in body.lower()
    assert "http://" not in body and "https://" not in body  # no Google Fonts, no CDN
    assert re.search(r'<redoc spec-url="/api/v1/schema/"></redoc>', body)
    urls = re.findall(r'(?:src|href)="([^"]+)"', body)
    assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls)
    # The bundle is the vendored sidecar file, served from this view without its cdn.redoc.ly badge image.
    script_src = re.search(r'<script src="([^"]+)"></script>', body).group(1)
    assert script_src.startswith("/api/v1/redoc/?script=")
    script = client.get(script_src)
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    text = script.content.decode()
    assert "spec-url" in text and "cdn.redoc.ly" not in text
    assert "sourceMappingURL=/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js.map" in text


def test_redoc_page_and_bundle_need_a_signed_in_user(client):
    assert client.get("/api/v1/redoc/").status_code in (401, 403)
    assert client.get("/api/v1/redoc/?script").status_code in (401, 403)


def test_health_endpoint_carries_request_id(client):
    response = client.get("/api/v1/health/", HTTP_X_REQUEST_ID="abc123")
    assert response["X-Request-ID"] == "abc123"


@pytest.mark.parametrize("forged", ["abc\r\nINFO admin logged in", "a b", "x" * 65, "<script>", "'; drop"])
def test_a_request_id_that_is_not_a_plain_token_is_replaced(client, db, forged):
    from apps.audit.context import request_id_accepted

    response = client.get("/api/v1/health/", HTTP_X_REQUEST_ID=forged)
    replaced = response["X-Request-ID"]
    assert replaced != forged and len(replaced) == 32 and replaced.isalnum()
    assert request_id_accepted("4f1c2a9e-7b1d-4c3e-9a2f-0b8e6d5c4a31") == "4f1c2a9e-7b1d-4c3e-9a2f-0b8e6d5c4a31"
