"""data_call.answered and data_call.overdue reach the organisation's webhook endpoints (apps.integrations), with
the call's id and API link only, and never another organisation's endpoint."""
import datetime as dt
import re

import pytest
from django.utils import timezone

from apps.integrations import services as hooks
from apps.integrations.models import WebhookDelivery
from apps.outreach import services
from apps.outreach.choices import DataCallTemplate, RecipientKind
from tests.factories import MembershipFactory, UserFactory, VendorFactory

pytestmark = pytest.mark.django_db
PUBLIC = "https://93.184.216.34/hook"


@pytest.fixture(autouse=True)
def _mail(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PUBLIC_BASE_URL = "https://registry.example"


def test_answered_and_overdue_calls_are_delivered_to_the_organisations_endpoints(
        org, other_org, admin_user, officer, django_capture_on_commit_callbacks):
    other_admin = MembershipFactory(organization=other_org, role="admin", user=UserFactory(username="oadm")).user
    types = ["data_call.answered", "data_call.overdue"]
    mine = hooks.webhook_endpoint_create(organization=org, user=admin_user, url=PUBLIC, event_types=types)
    hooks.webhook_endpoint_create(organization=other_org, user=other_admin, url=PUBLIC, event_types=types)

    def send():
        return services.data_call_create(
            user=officer, organization_id=org.pk, template=DataCallTemplate.FAR_889,
            recipient_kind=RecipientKind.VENDOR, vendor=VendorFactory(), recipient_email="s@example.org",
            due_date=timezone.localdate() + dt.timedelta(days=3))

    answered, late = send(), send()
    token = re.search(r"/respond/([^/]+)/$", answered.answer_link).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        services.data_call_answer(token=token, answers={"part_a_provides": "no", "part_b_uses": "no"},
                                  signer_name="A", signer_title="B", signed_on=timezone.localdate())
        services.data_calls_remind_overdue(now=timezone.now() + dt.timedelta(days=5))
    rows = {d.event_type: d for d in WebhookDelivery.objects.all()}
    assert set(rows) == set(types) and {d.endpoint_id for d in rows.values()} == {mine.pk}
    assert rows["data_call.answered"].payload["data"]["object"] == {
        "kind": "data_call", "id": answered.pk, "link": f"https://registry.example/api/v1/data-calls/{answered.pk}/"}
    assert rows["data_call.overdue"].payload["data"]["object"]["id"] == late.pk
    assert rows["data_call.overdue"].payload["data"]["status"] == "overdue"
