"""A supplier answers a data call in a real browser (Debian's Chromium through Playwright, against live_server)
through the public link, with no account: the officer sends a component declaration from the form, the supplier
opens the link from the e-mail, answers with a file and signs; a second use of the link and an expired link are
refused with their pages; the officer sees the signed answer as evidence (file, SHA-256) and the proposal it made.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from tests.web.test_browser import PASSWORD, SHOTS, Session, browser  # noqa: F401  (the browser fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_supplier_answers_through_the_public_link(browser, live_server, officer, site, settings,  # noqa: F811
                                                  tmp_path):
    from apps.outreach import services
    from apps.outreach.choices import DataCallTemplate, RecipientKind
    from apps.outreach.models import DataCall, DataCallAnswer, DataCallResponse
    from apps.vendors.models import ChangeProposal
    from tests.factories import EquipmentFactory, ProductModelFactory, VendorFactory

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PUBLIC_BASE_URL = live_server.url
    brand, maker = VendorFactory(name="Harbour Vision Brand"), VendorFactory(name="Shenzhen Example Maker")
    model = ProductModelFactory(brand=brand, model_number="HV-100")
    EquipmentFactory(site=site, product_model=model)
    officer.set_password(PASSWORD)
    officer.save()
    SHOTS.mkdir(parents=True, exist_ok=True)

    # The officer sends a component declaration from the form.
    s = Session(browser, live_server.url)
    page = s.page
    s.login(officer.username)
    page.goto("/data-calls/new/")
    page.locator("#id_template").select_option(DataCallTemplate.COMPONENT_DECLARATION)
    page.locator("#id_vendor").fill("harbour vision brand")
    page.locator("#id_product_model").select_option(str(model.pk))
    page.locator("#id_recipient_email").fill("compliance@brand.example")
    page.locator("#id_due_date").fill((timezone.localdate() + dt.timedelta(days=21)).isoformat())
    s.shot("60-data-call-new")
    page.get_by_role("button", name="Send").click()
    page.locator("#call-status").wait_for()
    call = DataCall.objects.get()
    assert (call.vendor, call.product_model, call.template) == (brand, model, DataCallTemplate.COMPONENT_DECLARATION)
    link = re.search(r"(https?://\S+/respond/\S+/)", mail.outbox[0].body).group(1)
    assert s.problems == [], s.problems

    # The supplier: a fresh browser with no session, through the link.
    supplier = browser.new_context(base_url=live_server.url)
    sp = supplier.new_page()
    first = sp.goto(link)
    assert first.status == 200
    assert sp.get_by_role("heading", level=1).inner_text() == call.title
    assert "Log in" not in sp.content() and "Data calls" not in sp.content()  # no navigation of the registry
    sp.locator("#id_maker").fill("Shenzhen Example Maker")
    sp.locator("#id_country_of_origin").fill("China")
    sp.locator("#id_software_supplier").fill("Harbour Vision Brand")
    sp.locator("#id_remote_access_0").check()  # yes
    sp.locator("#id_remote_access_by").fill("Brand support desk, Rotterdam, over a VPN")
    sp.get_by_label("Operator installs signed packages").check()
    pdf = tmp_path / "declaration.pdf"
    pdf.write_bytes(PDF)
    sp.locator("#id_bill_of_materials").set_input_files(str(pdf))
    sp.locator("#id_signer_name").fill("Li Example")
    sp.locator("#id_signer_title").fill("Export compliance manager")
    sp.screenshot(path=str(SHOTS / "61-data-call-respond.png"), full_page=True)
    sp.get_by_role("button", name="Sign and submit").click()
    sp.locator("#thanks").wait_for()
    response = DataCallResponse.objects.get()
    assert (response.data_call, response.signer_name) == (call, "Li Example")
    stored = DataCallAnswer.objects.get(response=response, question__code="bill_of_materials")
    assert stored.file_content_type == "application/pdf" and stored.file_size == len(PDF)

    # The same link again: refused (410), nothing more stored.
    again = sp.goto(link)
    assert again.status == 410
    assert "already used" in sp.locator("#refused-reason").inner_text()
    sp.screenshot(path=str(SHOTS / "62-data-call-used.png"), full_page=True)
    assert DataCallResponse.objects.count() == 1

    # An expired link: refused (410).
    mail.outbox.clear()
    other = services.data_call_create(
        user=officer, organization_id=call.organization_id, template=DataCallTemplate.COVERED_LIST,
        recipient_kind=RecipientKind.VENDOR, vendor=maker, recipient_email="legal@maker.example",
        due_date=timezone.localdate())
    other.tokens.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    expired = sp.goto(re.search(r"(https?://\S+/respond/\S+/)", mail.outbox[0].body).group(1))
    assert expired.status == 410
    assert "expired" in sp.locator("#refused-reason").inner_text()
    supplier.close()

    # The officer sees the answer as evidence (signature, SHA-256, the file) and the proposal it made.
    page.goto(f"/data-calls/{call.pk}/")
    assert page.locator("#answer-sha256").inner_text() == response.sha256
    assert "Li Example" in page.locator("#signature").inner_text()
    assert page.get_by_role("link", name="declaration.pdf").is_visible()
    proposal = ChangeProposal.objects.get()
    assert (proposal.kind, proposal.vendor, proposal.payload["manufacturer"]) == ("oem_add", brand, maker.pk)
    assert "Add an OEM relation" in page.locator("#proposals").inner_text()
    s.shot("63-data-call-answered")
    page.goto("/proposals/")
    assert "Harbour Vision Brand" in page.content()
    page.goto(f"/data-calls/supplier/{brand.pk}/")
    assert "Shenzhen Example Maker" in page.locator("#answers-over-time").inner_text()
    assert s.problems == [], s.problems
    s.close()
