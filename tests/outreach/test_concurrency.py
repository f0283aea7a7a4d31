"""Single use under concurrency: many submissions of one link at the same moment record exactly one answer; the
others are refused as already used (410)."""
from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from django.db import connection
from django.utils import timezone

from apps.outreach import services
from apps.outreach.choices import DataCallTemplate, RecipientKind
from apps.outreach.models import DataCallResponse
from tests.factories import VendorFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_submissions_of_one_link_record_one_answer(org, officer, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call = services.data_call_create(
        user=officer, organization_id=org.pk, template=DataCallTemplate.COVERED_LIST,
        recipient_kind=RecipientKind.VENDOR, vendor=VendorFactory(), recipient_email="s@example.org",
        due_date=timezone.localdate() + dt.timedelta(days=3))
    token = re.search(r"/respond/([^/]+)/$", call.answer_link).group(1)
    start, outcomes = threading.Barrier(6), []

    def submit(n: int) -> None:
        try:
            start.wait()
            services.data_call_answer(token=token, answers={"listed_entity": "no"}, signer_name=f"Signer {n}",
                                      signer_title="CEO", signed_on=timezone.localdate())
            outcomes.append("ok")
        except services.LinkRefused as exc:
            outcomes.append(exc.status)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes, key=str) == sorted(["ok"] + [410] * 5, key=str)
    assert DataCallResponse.objects.filter(data_call=call).count() == 1
