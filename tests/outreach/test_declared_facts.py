"""Product-model facts of a component declaration (country of origin, software supplier, remote access, firmware
update path): the call's page shows them declared vs recorded, and an officer applies a differing one through
apps.inventory's product_model_update (product models are shared reference data that officers and admins may
change: apps.accounts.policies), audited with the data call as the change reason; the answer stays the source."""
import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.common.exceptions import ApplicationError
from apps.outreach import selectors, services
from apps.outreach.choices import DataCallTemplate, RecipientKind
from tests.factories import EquipmentFactory, ProductModelFactory, VendorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _declared(officer, org, site, **answers):
    pm = ProductModelFactory(brand=VendorFactory(name="Brandco"))
    EquipmentFactory(site=site, product_model=pm)
    call = services.data_call_create(
        user=officer, organization_id=org.pk, template=DataCallTemplate.COMPONENT_DECLARATION,
        recipient_kind=RecipientKind.VENDOR, vendor=pm.brand, product_model=pm, recipient_email="rep@brand.example",
        due_date=timezone.localdate() + dt.timedelta(days=30))
    token = re.search(r"/respond/([^/]+)/$", call.answer_link).group(1)
    services.data_call_answer(token=token, answers={
        "maker": "Brandco", "country_of_origin": "China", "software_supplier": "Firmware Works",
        "remote_access": "yes", "firmware_update_path": "Vendor pushes updates online", **answers},
        signer_name="Rep Example", signer_title="Compliance", signed_on=timezone.localdate())
    call.refresh_from_db()
    return call, pm


def _facts(call):
    return {f.code: f for f in selectors.data_call_declared_facts(call)}


def test_declared_vs_recorded_and_applying_each_differing_fact(officer, org, site):
    supplier = VendorFactory(name="Firmware Works")
    call, pm = _declared(officer, org, site)
    facts = _facts(call)
    assert list(facts) == ["country_of_origin", "software_supplier", "remote_access", "firmware_update_path"]
    assert (facts["country_of_origin"].declared, facts["country_of_origin"].recorded) == ("China (CN)", "not recorded")
    assert all(facts[c].applicable for c in ("country_of_origin", "software_supplier", "remote_access"))
    assert not facts["firmware_update_path"].applicable
    assert "no field" in facts["firmware_update_path"].note

    for code in ("country_of_origin", "software_supplier", "remote_access"):
        services.data_call_fact_apply(data_call=call, fact=code, user=officer)
    pm.refresh_from_db()
    assert (pm.country_of_manufacture.code, pm.software_supplier, pm.remote_access_capable) == ("CN", supplier, True)
    edits = AuditEvent.objects.filter(action="productmodel.update", object_id=str(pm.pk))
    assert edits.count() == 3
    reason = edits.first().changes["change_reason"][1]
    assert reason.startswith(f"Data call #{call.pk} (Component declaration for a product model): ")
    assert "signed on" in reason and "Rep Example" in reason
    assert pm.history.first().history_change_reason.startswith(f"Data call #{call.pk}")
    assert AuditEvent.objects.filter(action="outreach.datacall.fact_apply", object_id=str(call.pk)).count() == 3
    assert not any(f.applicable for f in _facts(call).values())
    with pytest.raises(ApplicationError) as again:
        services.data_call_fact_apply(data_call=call, fact="country_of_origin", user=officer)
    assert again.value.code == "conflict" and "Already recorded" in again.value.message


def test_a_fact_the_registry_cannot_hold_is_refused_with_the_reason(officer, org, site):
    call, pm = _declared(officer, org, site, country_of_origin="Atlantis", software_supplier="Unknown Soft Ltd")
    facts = _facts(call)
    assert not facts["country_of_origin"].applicable and "Not a country" in facts["country_of_origin"].note
    with pytest.raises(ApplicationError) as exc:
        services.data_call_fact_apply(data_call=call, fact="software_supplier", user=officer)
    assert exc.value.code == "conflict" and "add the vendor first" in exc.value.message
    pm.refresh_from_db()
    assert pm.software_supplier is None and not AuditEvent.objects.filter(action="productmodel.update").exists()


def test_readers_and_other_organisations_cannot_apply(officer, viewer, other_officer, org, site):
    call, pm = _declared(officer, org, site)
    with pytest.raises(ApplicationError) as read_only:
        services.data_call_fact_apply(data_call=call, fact="remote_access", user=viewer)
    assert read_only.value.code == "forbidden"
    with pytest.raises(ApplicationError) as other:
        services.data_call_fact_apply(data_call=call, fact="remote_access", user=other_officer)
    assert other.value.code == "not_found"
    pm.refresh_from_db()
    assert pm.remote_access_capable is False


def test_a_call_of_another_template_has_no_facts(officer, org, site):
    call = services.data_call_create(
        user=officer, organization_id=org.pk, template=DataCallTemplate.FAR_889, recipient_kind=RecipientKind.VENDOR,
        vendor=VendorFactory(), recipient_email="a@b.example", due_date=timezone.localdate() + dt.timedelta(days=3))
    assert selectors.data_call_declared_facts(call) == []
    with pytest.raises(ApplicationError) as exc:
        services.data_call_fact_apply(data_call=call, fact="remote_access", user=officer)
    assert exc.value.code == "conflict"


def test_the_officer_applies_a_fact_from_the_call_page(client, officer, viewer, org, site):
    call, pm = _declared(officer, org, site)
    url = reverse("web:data-call-detail", args=[call.pk])
    apply_url = reverse("web:data-call-fact-apply", args=[call.pk, "country_of_origin"])
    reader = Client()
    reader.force_login(viewer)
    page = reader.get(url).content.decode()
    assert 'id="declared-facts"' in page and 'id="fact-country_of_origin"' in page and apply_url not in page
    assert reader.post(apply_url).status_code == 403

    client.force_login(officer)
    page = client.get(url).content.decode()
    assert apply_url in page and "China (CN)" in page
    done = client.post(apply_url, follow=True)
    assert done.status_code == 200 and "updated from the declaration" in done.content.decode()
    pm.refresh_from_db()
    assert pm.country_of_manufacture.code == "CN"
    refused = client.post(apply_url, follow=True).content.decode()
    assert "Already recorded." in refused
