"""The Django admin shows plans, waivers and evidence but cannot change or delete them: those go through their
services (audit chain, four-eyes waivers, append-only evidence)."""
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
