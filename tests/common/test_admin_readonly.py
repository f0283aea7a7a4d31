"""The Django admin shows plans, waivers, evidence and shared vendor facts but cannot change or delete them: those
go through their services (audit chain, four-eyes waivers, append-only evidence, re-screening)."""
from __future__ import annotations

import pytest

from tests.factories import EvidenceFactory, RemediationPlanFactory, WaiverFactory

pytestmark = pytest.mark.django_db


def test_a_superuser_sees_but_cannot_change_plans_waivers_or_evidence(client, settings, tmp_path):
    from apps.accounts.models import User

    settings.MEDIA_ROOT = tmp_path
    client.force_login(User.objects.create_superuser("root-admin", "root@example.invalid", "x" * 20))
    plan = RemediationPlanFactory()
    waiver = WaiverFactory(plan=plan, justification="j", compensating_controls="c")
    evidence = EvidenceFactory(plan=plan)
    for model, obj in (("remediationplan", plan), ("waiver", waiver), ("evidence", evidence)):
        base = f"/admin/remediation/{model}/"
        assert client.get(base).status_code == 200
        page = client.get(f"{base}{obj.pk}/change/")
        assert page.status_code == 200 and b'name="_save"' not in page.content, model
        assert client.post(f"{base}{obj.pk}/change/", {}).status_code == 403, model
        assert client.post(f"{base}{obj.pk}/delete/", {"post": "yes"}).status_code == 403, model
        assert client.get(f"{base}add/").status_code == 403, model
        assert type(obj).objects.filter(pk=obj.pk).exists()


def test_vendor_facts_are_read_only_in_the_admin(client):
    from apps.accounts.models import User
    from tests.factories import OemRelationFactory, OwnershipFactory, VendorAliasFactory, VendorFactory

    client.force_login(User.objects.create_superuser("root-admin", "root@example.invalid", "x" * 20))
    vendor = VendorFactory(name="Crane Maker")
    rows = {"vendor": vendor, "vendoralias": VendorAliasFactory(vendor=vendor, name="CM"),
            "ownership": OwnershipFactory(owned=vendor), "oemrelation": OemRelationFactory(manufacturer=vendor)}
    for model, obj in rows.items():
        base = f"/admin/vendors/{model}/"
        page = client.get(f"{base}{obj.pk}/change/")
        assert page.status_code == 200 and b'name="_save"' not in page.content, model
        assert client.post(f"{base}{obj.pk}/change/", {"name": "Renamed"}).status_code == 403, model
        assert client.get(f"{base}add/").status_code == 403, model
    vendor.refresh_from_db()
    assert vendor.name == "Crane Maker"
