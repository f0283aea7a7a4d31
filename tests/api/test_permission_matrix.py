"""One generated permission matrix over every API route x role x own/other organisation.

Routes are read from the URL resolver, so a new endpoint appears here by itself; it fails until it is
registered in OBJECTS (which object to ask for) — an endpoint cannot ship without being checked.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.choices import WRITE_ROLES
from apps.api.models import ApiToken
from apps.api.services import api_token_create, api_token_hash
from tests.api.conftest import ROLES
from tests.factories import (
    ApiTokenFactory,
    BomDocumentFactory,
    ChangeProposalFactory,
    CuratorFactory,
    EvidenceFactory,
    FactChangeNoticeFactory,
    MembershipFactory,
    OemRelationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
CURATOR_KEY = "vr_curator-matrix-key-0001"

PUBLIC = {"health"}
REPORTS = {"summary"}
DOCS = {"schema", "docs", "redoc"}  # any authenticated member; nothing organisation-specific
# Decisions on shared data that no organisation role may take: curators only (tests/api/test_curator.py).
CURATED = {"listversion-approve", "listversion-reject"}
# Decisions on change proposals to shared vendor facts: curators only, never the proposer (tests/api/test_proposals.py).
PROPOSAL_DECISIONS = {"proposal-accept", "proposal-reject"}
ADMINS = {"audit-verify"}  # spans every organisation: organisation admins (and staff) only, everyone else 403
# url basename -> (world key of an object of the user's organisation, world key of another organisation's
# object or None when the resource is shared reference data, readable by every member).
OBJECTS: dict[str, tuple[str, str | None]] = {
    "organization": ("org", "other_org"),
    "site": ("site", "other_site"),
    "productmodel": ("product", None),
    "equipment": ("equipment", "other_equipment"),
    "component": ("component", "other_component"),
    "bomdocument": ("bom", "other_bom"),
    "vendor": ("vendor", None),
    "ownership": ("ownership", None),
    "oemrelation": ("oem", None),
    "token": ("own_token", "other_token"),
    # Public findings, matches and registry-wide decisions are read by every member; the other organisation's
    # in-house list's are in its view only.
    "finding": ("finding", "other_finding"),
    "match": ("match", "other_match"),
    "reviewdecision": ("reviewdecision", "other_reviewdecision"),
    "screeningrun": ("screeningrun", None),
    "screening": ("check", "other_check"),
    "listsource": ("source", "other_source"),
    "listversion": ("version", "version_other"),
    "listentry": ("entry", "entry_other"),
    "listdiff": ("diff", "diff_other"),
    "fetchrun": ("fetchrun", "fetchrun_other"),
    "remediationplan": ("plan", "other_plan"),
    "waiver": ("waiver", "other_waiver"),
    "evidence": ("evidence", "other_evidence"),
    "policyrule": ("org_rule", "other_rule"),
    "projectionreport": ("projection", "other_projection"),
    "auditevent": ("event", "other_event"),
    # Another organisation's proposal is visible while pending (without its evidence): its withdrawn one is not.
    "proposal": ("proposal", "other_proposal"),
    "notification": ("notice", "other_notice"),
    "webhookendpoint": ("webhook", "other_webhook"),
    "webhookdelivery": ("delivery", "other_delivery"),
    "datacall": ("data_call", "other_data_call"),
    "datacallresponse": ("data_call_response", "other_data_call_response"),
    "declaredfinding": ("declared_finding", "other_declared_finding"),
}


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def api_routes() -> list[tuple[str, str, dict | None, type]]:
    """(route regex, url name, {method: action} or None, view class) of every route under api/v1/."""
    out = []
    for route, pattern in _walk(get_resolver().url_patterns):
        if not route.startswith("api/v1/"):
            continue
        callback = pattern.callback
        cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        out.append((route, pattern.name, getattr(callback, "actions", None), cls))
    return out


def _cases():
    """One test per (route, method); inside it every role x own/other organisation, in an order where
    nothing a writer changes can hide a reader's answer (readers first, own-organisation writes last)."""
    for route, name, actions, _cls in api_routes():
        for method in sorted(actions) if actions else ["get"]:
            yield pytest.param(route, name, method, id=f"{name}-{method}")


def _combinations(route: str, name: str, method: str):
    shared = OBJECTS.get(_basename(name), ("", ""))[1] is None
    creates = "(?P<" not in route and method != "get"
    scopes = ("own",) if name in PUBLIC | DOCS | ADMINS | REPORTS or shared or creates else ("other", "own")
    for role in ["anonymous", *ROLES, "curator"]:
        for scope in scopes:
            yield role, scope


def _basename(name: str) -> str:
    return name.rsplit("-", 1)[0] if "-" in name else name


def _url(route: str, obj) -> str:
    path = "/" + route.replace("^", "").replace("$", "")
    return re.sub(r"\(\?P<\w+>[^)]*\)", str(obj.pk) if obj is not None else "0", path)


@pytest.fixture
def matrix_world(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world["bom"] = BomDocumentFactory(organization=world["org"])
    world["other_bom"] = BomDocumentFactory(organization=world["other_org"])
    world["oem"] = OemRelationFactory(brand=world["parent"], manufacturer=world["vendor"])
    # A curator: a viewer of the harbour whose curator token carries the registry-wide powers.
    curator = MembershipFactory(organization=world["org"], role="viewer", user=UserFactory(username="curator")).user
    CuratorFactory(user=curator)
    world["users"]["curator"] = curator
    world["other_token"], _ = api_token_create(user=world["users"]["other_officer"])
    world["own_token"], _ = api_token_create(user=world["users"]["viewer"])
    world["proposal"] = ChangeProposalFactory(organization=world["org"], proposed_by=world["users"]["officer"],
                                              vendor=world["vendor"])
    world["other_proposal"] = ChangeProposalFactory(organization=world["other_org"], vendor=world["vendor"],
                                                    proposed_by=world["users"]["other_officer"], status="withdrawn")
    world["evidence"] = EvidenceFactory(plan=world["plan"])
    world["other_evidence"] = EvidenceFactory(plan=world["other_plan"])
    world["notice"] = FactChangeNoticeFactory(organization=world["org"])
    world["other_notice"] = FactChangeNoticeFactory(organization=world["other_org"])
    from apps.integrations.models import WebhookDelivery, WebhookEndpoint

    for key, org in (("webhook", world["org"]), ("other_webhook", world["other_org"])):
        world[key] = WebhookEndpoint.objects.create(organization=org, url="https://93.184.216.34/hook",
                                                    event_types=["plan.created"], secret="whsec_dGVzdA==")
    for key, hook in (("delivery", world["webhook"]), ("other_delivery", world["other_webhook"])):
        world[key] = WebhookDelivery.objects.create(endpoint=hook, organization_id=hook.organization_id,
                                                    event_type="plan.created", message_id=f"msg_{key}",
                                                    payload={"type": "plan.created"}, status="failed")
    from tests.factories import DeclaredFindingFactory

    for prefix, org in (("", world["org"]), ("other_", world["other_org"])):
        finding = DeclaredFindingFactory(answer__response__data_call__organization=org)
        world[f"{prefix}declared_finding"] = finding
        world[f"{prefix}data_call_response"] = finding.answer.response
        world[f"{prefix}data_call"] = finding.data_call
    return world


@pytest.mark.parametrize(("route", "name", "method"), list(_cases()))
def test_permission_matrix(matrix_world, route, name, method):
    keys = {role: token_key(matrix_world["users"][role]) for role in ROLES}
    keys["curator"] = CURATOR_KEY
    ApiTokenFactory(user=matrix_world["users"]["curator"], key=CURATOR_KEY, purpose="curate",
                    expires_at=timezone.now() + dt.timedelta(hours=1))
    failures = []
    for role, scope in _combinations(route, name, method):
        client = APIClient()
        if role != "anonymous":
            matrix_world["own_token"] = ApiToken.objects.get(key_hash=api_token_hash(keys[role]))
            client.credentials(HTTP_AUTHORIZATION=f"Token {keys[role]}")
        try:
            _check(matrix_world, client, route, name, method, role, scope)
        except AssertionError as exc:
            failures.append(f"{role}/{scope}: {exc}")
    assert not failures, "\n".join(failures)


def token_key(user) -> str:
    return api_token_create(user=user)[1]


def _check(w, client, route, name, method, role, scope):
    if name in PUBLIC:
        response = getattr(client, method)(_url(route, None))
        assert response.status_code in (200, 503), response.content
        return
    if name in DOCS:
        response = client.get(_url(route, None))
        assert response.status_code == (401 if role == "anonymous" else 200), response.status_code
        return
    if name in ADMINS:
        response = client.get(_url(route, None))
        expected = {"anonymous": 401, "admin": 200, "curator": 200}.get(role, 403)
        assert response.status_code == expected, (role, response.status_code)
        if expected == 403:
            assert response.json()["error"]["code"] == "permission_denied"
        return
    if name in REPORTS:
        response = client.get(_url(route, None))
        assert response.status_code == (401 if role == "anonymous" else 200), response.status_code
        if role != "anonymous":
            assert [s["site"] for s in response.json()["by_site"]] == [w["site"].pk]
        return

    base = _basename(name)
    assert base in OBJECTS, f"API route {route} ({name}) is not in the permission matrix: add it to OBJECTS"
    own_key, other_key = OBJECTS[base]
    is_detail = "(?P<" in route
    is_list = not is_detail
    obj = w[own_key if scope == "own" else other_key] if (is_detail or scope == "other") else None
    url = _url(route, obj if is_detail else None)
    response = getattr(client, method)(url, {} if method in ("post", "patch") else None, format="json")
    status = response.status_code

    if role == "anonymous":
        assert status == 401, (url, status)
        return
    write_roles = getattr(_view_class(route), "write_roles", WRITE_ROLES)
    public = (name in CURATED and obj.source.organization_id is None) or (
        name == "listsource-upload" and obj.organization_id is None)  # a public list's file: curators only
    # A curator (with its curator token) writes shared reference data and decides public lists; in an
    # organisation it is the viewer it is there.
    refresh_public = name == "listsource-refresh" and obj.organization_id is None  # admins anywhere, curators
    curates = role == "curator" and (public or refresh_public or (other_key is None and write_roles == WRITE_ROLES))
    may_write = base == "token" or curates or (role in write_roles and not public)
    if name in PROPOSAL_DECISIONS:
        may_write = role == "curator"

    if method == "get":
        if is_list:
            assert status == 200, (url, status, response.content[:300])
            if scope == "other":
                ids = {row["id"] for row in response.json()["results"]}
                assert obj.pk not in ids and w[own_key].pk in ids, (url, ids)
        else:
            assert status == (200 if scope == "own" else 404), (url, status)
        return
    if scope == "other":
        assert status == 404, (url, method, status)
    elif not may_write and method == "delete" and status == 404:
        # An admin earlier in this loop deleted it already (a role checked after the admin, e.g. the curator).
        assert not type(obj).objects.filter(pk=obj.pk).exists(), (url, method, status)
    elif not may_write:
        assert status == 403, (url, method, status)
        assert response.json()["error"]["code"] == "permission_denied"
    elif method == "delete" and status == 404:
        # An earlier writer in this loop deleted it already (the officer before the admin).
        assert not type(obj).objects.filter(pk=obj.pk).exists(), (url, method, status)
    else:
        # 202: an officer's write to a shared vendor fact becomes a change proposal; 409: already decided.
        assert status in {"post": (200, 201, 202, 400, 409), "patch": (200, 202), "delete": (202, 204, 409)}[method], (
            url, method, status, response.content[:300])


def _view_class(route: str):
    for r, _, _, cls in api_routes():
        if r == route:
            return cls
    raise AssertionError(route)


def test_user_without_membership_reads_nothing(db, world):
    from tests.factories import UserFactory

    client = APIClient()
    _, key = api_token_create(user=UserFactory(username="outsider"))
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    for route, name, _actions, _ in api_routes():
        if name in PUBLIC | DOCS | REPORTS or _basename(name) == "token" or "(?P<" in route:
            continue
        assert client.get(_url(route, None)).status_code == 403, route
