"""The OpenAPI schema is complete and valid (no drf-spectacular warning), private, and the docs are
served from the app itself (sidecar), never from a CDN."""
import re

import pytest
from django.core.management import call_command

from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db


def test_schema_generates_without_warnings_and_validates(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/api/v1/equipment/" in text and "tokenAuth" in text and "ApiError" in text


def test_schema_and_docs_need_credentials_and_docs_are_offline(world, client):
    assert client.get("/api/v1/schema/").status_code == 401
    api = token_client(world["users"]["auditor"])
    assert api.get("/api/v1/schema/").status_code == 200
    # Reloaded: the factory sets the password on the instance only, and the session hash must match the row.
    user = type(world["users"]["auditor"]).objects.get(pk=world["users"]["auditor"].pk)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/api/v1/sites/").status_code == 200  # session authentication for the browser
    html = client.get("/api/v1/docs/").content.decode()
    assert "drf_spectacular_sidecar" in html and "cdn." not in html and "unpkg" not in html


def test_docs_init_script_is_a_same_origin_file(world):
    """The Content-Security-Policy allows scripts from this origin only: no inline init script."""
    import re

    client = token_client(world["users"]["auditor"])
    body = client.get("/api/v1/docs/").content.decode()
    assert not re.search(r"<script>(?!\s*</script>)", body)
    src = re.search(r'<script src="([^"]*script[^"]*)"', body).group(1).replace("&amp;", "&")
    script = client.get(src)
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def test_redoc_page_and_bundle_for_token_holders(world):
    """ReDoc keeps the docs' authentication: token holders (and signed-in users) only; see
    tests/security/test_headers.py and tests/web/test_browser.py for its CSP."""
    client = token_client(world["users"]["viewer"])
    page = client.get("/api/v1/redoc/")
    assert page.status_code == 200
    body = page.content.decode()
    assert '<redoc spec-url="/api/v1/schema/">' in body and "fonts.googleapis" not in body
    script_src = re.search(r'<script src="([^"]+)"></script>', body).group(1)
    script = client.get(script_src)
    assert script.status_code == 200 and "cdn.redoc.ly" not in script.content.decode()
