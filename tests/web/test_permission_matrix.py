"""The web's permission matrix: every route of the UI x anonymous, no membership, viewer, auditor, officer,
admin and curator x own and other organisation, next to the API's (tests/api/test_permission_matrix.py).

Routes are read from the URL resolver, so a new page appears here by itself and fails until it is registered in
ROUTES with what it needs: a page cannot ship without being checked. The answers expected follow
apps.accounts.policies: members read their organisation's pages and the shared ones; officers and admins write;
read-only roles get 403 on every page that changes something; another organisation's object is 404; a user
without a membership sees the page that says so (403); a curator with a verified second factor decides public
list versions whatever its role.
"""
from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from apps.accounts.choices import Role
from apps.inventory.bom import bom_upload_store
from tests.api.conftest import world  # noqa: F401  (the fixture: two organisations with one of everything)
from tests.conftest import second_factor_login
from tests.factories import (
    BomDocumentFactory,
    ChangeProposalFactory,
    CuratorFactory,
    DataCallFactory,
    EvidenceFactory,
    ImportJobFactory,
    MembershipFactory,
    OemRelationFactory,
    UserFactory,
    VendorAliasFactory,
    VendorIdentifierFactory,
)
from tests.inventory.bom_docs import Part, cyclonedx

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "none", "viewer", "auditor", "curator", "officer", "admin"]
READ_ONLY = {"viewer", "auditor", "curator"}  # the curator is a viewer of the harbour (its powers are elsewhere)

# What a route needs, and how to fill its arguments: (need, methods, {kwarg: (own world key, other key)}).
# need: "open" (any signed-in user), "read" (members), "write" (officers and admins), "read-then-write" (GET read,
# POST write), "read-then-admin" (GET read, POST admins), "admin" (admins), "job" (the organisation's writers),
# "curator" (a page for curators with a verified second factor only: the proposal queue), "curate" (curators with
# a verified second factor for a public list; the owning organisation's admins for an in-house list). A kwarg whose
# other key is None names shared data (no other organisation's copy to try). Literal strings stand as they are.
OWN_OTHER = tuple[str, str | None]
ROUTES: dict[str, tuple[str, tuple[str, ...], dict[str, OWN_OTHER | str]]] = {
    "second-factor": ("open", ("get", "post"), {}),
    "dashboard": ("read", ("get",), {}),
    "organization-profile": ("read-then-admin", ("get", "post"), {}),
    "as-of-report": ("read", ("get",), {}),
    "site-list": ("read", ("get",), {}),
    "site-export": ("read", ("get",), {}),
    "vendor-export": ("read", ("get",), {}),
    "plan-export": ("read", ("get",), {}),
    "site-create": ("write", ("get", "post"), {}),
    "site-detail": ("read", ("get",), {"pk": ("site", "other_site")}),
    "site-edit": ("write", ("get", "post"), {"pk": ("site", "other_site")}),
    "equipment-list": ("read", ("get",), {}),
    "equipment-export": ("read", ("get",), {}),
    "equipment-create": ("write", ("get", "post"), {}),
    "equipment-detail": ("read", ("get",), {"pk": ("equipment", "other_equipment")}),
    "equipment-edit": ("write", ("get", "post"), {"pk": ("equipment", "other_equipment")}),
    "equipment-delete": ("write", ("get", "post"), {"pk": ("equipment", "other_equipment")}),
    "component-add": ("write", ("post",), {"pk": ("equipment", "other_equipment")}),
    "component-remove": ("write", ("post",), {"pk": ("equipment", "other_equipment"),
                                              "component_pk": ("component", "other_component")}),
    "bom-upload": ("write", ("post",), {"pk": ("equipment", "other_equipment")}),
    "bom-preview": ("job", ("get",), {"token": ("bom_job", "other_bom_job")}),
    "bom-export": ("read", ("get",), {"pk": ("bom", "other_bom")}),
    "equipment-bom-export": ("read", ("get",), {"pk": ("equipment", "other_equipment")}),
    "vendor-list": ("read", ("get",), {}),
    "vendor-create": ("write", ("get", "post"), {}),
    "vendor-detail": ("read", ("get",), {"pk": ("vendor", None)}),
    "vendor-edit": ("write", ("get", "post"), {"pk": ("vendor", None)}),
    "vendor-alias-add": ("write", ("post",), {"pk": ("vendor", None)}),
    "vendor-alias-remove": ("write", ("post",), {"pk": ("vendor", None), "alias_pk": ("alias", None)}),
    "vendor-identifier-add": ("write", ("post",), {"pk": ("vendor", None)}),
    "vendor-identifier-remove": ("write", ("post",), {"pk": ("vendor", None),
                                                      "identifier_pk": ("identifier", None)}),
    "vendor-ownership-add": ("write", ("post",), {"pk": ("vendor", None)}),
    "vendor-ownership-remove": ("write", ("post",), {"pk": ("vendor", None), "link_pk": ("ownership", None)}),
    "vendor-oem-add": ("write", ("post",), {"pk": ("vendor", None)}),
    "vendor-oem-remove": ("write", ("post",), {"pk": ("vendor", None), "relation_pk": ("oem", None)}),
    "check": ("read", ("get",), {}),
    "check-record": ("read", ("get",), {"pk": ("check", "other_check")}),
    "review-queue": ("read", ("get",), {}),
    "review-decide": ("write", ("post",), {"pk": ("match", None)}),
    "remediation-board": ("read", ("get",), {}),
    "projection": ("read-then-write", ("get", "post"), {}),  # the reports are read by all; asking is writing
    "projection-report": ("read", ("get",), {"pk": ("projection", "other_projection")}),
    "projection-export": ("read", ("get",), {"pk": ("projection", "other_projection")}),
    "plan-detail": ("read", ("get",), {"pk": ("plan", "other_plan")}),
    "plan-action": ("write", ("post",), {"pk": ("plan", "other_plan"), "action": "step"}),
    "evidence-download": ("read", ("get",), {"pk": ("evidence", "other_evidence")}),
    "list-sources": ("read", ("get",), {}),
    "list-changes": ("read", ("get",), {}),
    "list-source": ("read", ("get",), {"pk": ("source", "other_source")}),
    "list-refresh": ("admin", ("post",), {"pk": ("source", "other_source")}),
    "list-upload": ("curate", ("post",), {"pk": ("source", "other_source")}),
    "list-run": ("read", ("get",), {"pk": ("fetchrun", "fetchrun_other")}),
    "list-version": ("read", ("get",), {"pk": ("version", "version_other")}),
    "list-version-decide": ("curate", ("post",), {"pk": ("quarantined", "version_other"), "decision": "reject"}),
    "import": ("write", ("get",), {}),
    "import-template": ("read", ("get",), {"kind": "equipment", "fmt": "csv"}),
    "import-preview": ("job", ("get",), {"token": ("job", "other_job")}),
    "import-progress": ("job", ("get",), {"token": ("job", "other_job")}),
    "import-vendors": ("write", ("post",), {"token": ("job", "other_job")}),
    "import-codes": ("read", ("get",), {"kind": "equipment"}),
    "import-help": ("read", ("get",), {}),
    "proposal-list": ("read", ("get",), {}),
    "proposal-evidence": ("read", ("get",), {"pk": ("proposal", "other_proposal")}),
    "proposal-queue": ("curator", ("get",), {}),
    "proposal-decide": ("curate", ("post",), {"pk": ("proposal", None), "decision": "reject"}),
    "proposal-action": ("write", ("post",), {"pk": ("proposal", "other_proposal"), "action": "withdraw"}),
    "notifications": ("read", ("get",), {}),
    # Webhooks: members read, the organisation's admins subscribe and act (apps.integrations services decide).
    "webhook-list": ("read-then-admin", ("get", "post"), {}),
    "webhook-detail": ("read-then-admin", ("get", "post"), {"pk": ("webhook", "other_webhook")}),
    "webhook-action": ("admin", ("post",), {"pk": ("webhook", "other_webhook"), "verb": "ping"}),
    "webhook-redeliver": ("admin", ("post",), {"pk": ("delivery", "other_delivery")}),
    # Data calls (apps.outreach): members read, officers and admins send, cancel and close declared findings.
    "data-call-list": ("read", ("get",), {}),
    "data-call-create": ("write", ("get", "post"), {}),
    "data-call-detail": ("read", ("get",), {"pk": ("data_call", "other_data_call")}),
    "data-call-action": ("write", ("post",), {"pk": ("data_call", "other_data_call"), "action": "cancel"}),
    "data-call-fact-apply": ("write", ("post",), {"pk": ("data_call", "other_data_call"), "fact": "remote_access"}),
    "data-call-file": ("read", ("get",), {"pk": ("data_call_answer", "other_data_call_answer")}),
    "data-call-supplier": ("read", ("get",), {"pk": ("vendor", None)}),
    "declared-finding-close": ("write", ("post",), {"pk": ("declared_finding", "other_declared_finding")}),
}
# Not pages of an organisation's data: logging in and out, choosing an organisation; and the public data call
# answer page, whose credential is the link itself (no login): tests/outreach/test_respond_page.py.
SESSION_ROUTES = {"login", "logout", "org-switch", "data-call-respond"}


def _web_routes() -> list[str]:
    names: list[str] = []

    def walk(patterns, ns: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, p.namespace or ns)
            elif isinstance(p, URLPattern) and p.name and ns == "web":
                names.append(p.name)

    walk(get_resolver().url_patterns, "")
    return sorted(set(names))


def test_every_web_route_is_in_the_matrix():
    missing = set(_web_routes()) - set(ROUTES) - SESSION_ROUTES
    assert not missing, f"web routes without a permission matrix entry (add them to ROUTES): {sorted(missing)}"
    assert not set(ROUTES) - set(_web_routes()), "ROUTES names routes that no longer exist"


@pytest.fixture
def web_world(world, settings, tmp_path):  # noqa: F811
    from apps.lists.choices import VersionStatus
    from tests.factories import ListVersionFactory

    settings.MEDIA_ROOT = tmp_path
    w = world
    org, other = w["org"], w["other_org"]
    w["users"]["none"] = UserFactory(username="nobody")
    curator = MembershipFactory(organization=org, role=Role.VIEWER, user=UserFactory(username="curator-harbor")).user
    CuratorFactory(user=curator)
    w["users"]["curator"] = curator
    w["alias"] = VendorAliasFactory(vendor=w["vendor"], name="CMC")
    w["identifier"] = VendorIdentifierFactory(vendor=w["vendor"])
    w["oem"] = OemRelationFactory(brand=w["parent"], manufacturer=w["vendor"])
    w["evidence"] = EvidenceFactory(plan=w["plan"])
    w["other_evidence"] = EvidenceFactory(plan=w["other_plan"])
    w["quarantined"] = ListVersionFactory(source=w["source"], status=VersionStatus.QUARANTINED, sha256="q" * 64)
    w["job"] = ImportJobFactory(organization=org, user=w["users"]["officer"])
    w["bom"] = BomDocumentFactory(organization=org)
    w["other_bom"] = BomDocumentFactory(organization=other)
    for key, unit, user in (("bom_job", w["equipment"], w["users"]["officer"]),
                            ("other_bom_job", w["other_equipment"], w["users"]["other_officer"])):
        document = cyclonedx([Part("PLC")], subject=unit.product_model.model_number)
        w[key] = bom_upload_store(organization=unit.site.organization, user=user, equipment=unit, for_model=False,
                                  upload=SimpleUploadedFile("bom.cdx.json", document))
    w["other_job"] = ImportJobFactory(organization=other, user=w["users"]["other_officer"])
    w["proposal"] = ChangeProposalFactory(organization=org, proposed_by=w["users"]["officer"], vendor=w["vendor"],
                                          evidence_name="filing.pdf", evidence_extension="pdf")
    w["proposal"].evidence.save("evidence.pdf", ContentFile(b"%PDF-1.4 filing"))
    # Another organisation's withdrawn proposal: not visible to anyone outside it.
    w["other_proposal"] = ChangeProposalFactory(organization=other, proposed_by=w["users"]["other_officer"],
                                                vendor=w["vendor"], status="withdrawn")
    from apps.integrations.models import WebhookDelivery, WebhookEndpoint

    for key, owner in (("webhook", org), ("other_webhook", other)):
        w[key] = WebhookEndpoint.objects.create(organization=owner, url="https://93.184.216.34/hook",
                                                event_types=["plan.created"], secret="whsec_dGVzdA==")
    for key, hook in (("delivery", w["webhook"]), ("other_delivery", w["other_webhook"])):
        w[key] = WebhookDelivery.objects.create(endpoint=hook, organization_id=hook.organization_id,
                                                event_type="plan.created", message_id=f"msg_{key}",
                                                payload={"type": "plan.created"}, status="failed")
    from tests.factories import DataCallAnswerFactory, DeclaredFindingFactory

    for prefix, owner in (("", org), ("other_", other)):
        answer = DataCallAnswerFactory(response__data_call__organization=owner,
                                       file=ContentFile(b"%PDF-1.4 declaration", name="declaration.pdf"),
                                       file_name="declaration.pdf", file_content_type="application/pdf")
        w[f"{prefix}data_call_answer"] = answer
        w[f"{prefix}declared_finding"] = DeclaredFindingFactory(answer=answer)
        w[f"{prefix}data_call"] = DataCallFactory(organization=owner)
    for user in w["users"].values():
        user.save()  # the factories set passwords without saving; a session needs the stored hash
    return w


def _kwargs(w, spec: dict, scope: str) -> dict | None:
    out = {}
    for name, keys in spec.items():
        if isinstance(keys, str):
            out[name] = keys
            continue
        own, other = keys
        key = own if scope == "own" else other
        if key is None:
            return None
        obj = w[key]
        out[name] = obj.token if name == "token" else obj.pk
    return out


def _client(w, role: str) -> Client:
    client = Client()
    if role == "curator":
        return second_factor_login(client, w["users"]["curator"])
    if role != "anonymous":
        client.force_login(w["users"][role])
    return client


def _expected(need: str, method: str, role: str, scope: str, has_object: bool) -> set[int]:
    """The status codes allowed for one request."""
    if role == "anonymous":
        return {302}  # to the login page
    if need == "open":
        return {200, 400}
    if role == "none":
        return {403}
    refuses_writes = role in READ_ONLY
    if scope == "other" and has_object:
        # Another organisation's object is not found; a POST the role may never make anywhere may be refused
        # before the lookup (403).
        early = refuses_writes or need == "curate" and role != "admin"
        return {404, 403} if early and method == "post" else {404}
    if need == "read-then-write":
        need = "read" if method == "get" else "write"
    if need == "read-then-admin":  # the organisation's profile: members see it, its admins change it
        need = "read" if method == "get" else "admin"
    if need == "read":
        return {200}
    if need == "curator":
        return {200} if role == "curator" else {403}
    if need == "job":  # an import is the organisation writers' (read-only roles do not even find it)
        return {403, 404} if refuses_writes else {200}
    if need == "curate":  # a public list's quarantined version: curators only (an empty reason: the form's 400)
        return {302, 400} if role == "curator" else {403}
    if need == "admin":
        return {403} if role != "admin" else {200, 202, 302, 400}
    if refuses_writes:
        return {403}
    return {200, 302, 400}  # done, or the form's errors (an empty form was posted)


def _cases():
    for name in sorted(ROUTES):
        need, methods, _spec = ROUTES[name]
        for method in methods:
            yield pytest.param(name, method, id=f"{name}-{method}")


@pytest.mark.parametrize(("name", "method"), list(_cases()))
def test_web_permission_matrix(web_world, name, method, django_capture_on_commit_callbacks):
    need, _methods, spec = ROUTES[name]
    failures = []
    # Readers first and the admin last, so nothing a writer changes (a deleted unit) hides a reader's answer.
    for role in ROLES:
        for scope in ("other", "own"):
            kwargs = _kwargs(web_world, spec, scope)
            if kwargs is None:
                continue
            has_object = any(not isinstance(v, str) for v in spec.values())
            if scope == "other" and not has_object:
                continue
            url = reverse(f"web:{name}", kwargs=kwargs)
            with django_capture_on_commit_callbacks(execute=False):  # no worker here: queued work stays queued
                response = getattr(_client(web_world, role), method)(url)
            expected = _expected(need, method, role, scope, has_object)
            if response.status_code == 404 and method == "post" and scope == "own" and need == "write":
                expected = expected | {404}  # deleted by an earlier writer of this loop (the officer)
            if response.status_code not in expected:
                failures.append(f"{role}/{scope} {method.upper()} {url}: {response.status_code}, "
                                f"expected {sorted(expected)}")
    assert not failures, "\n".join(failures)
