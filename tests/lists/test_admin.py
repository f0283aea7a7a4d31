"""The admin: approve/reject quarantined versions with a reason, read-only evidence, refresh now."""
# ruff: noqa: F811  (pytest fixtures imported from tests.lists.lists_fakes are used as arguments)
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.lists.choices import VersionStatus
from apps.lists.models import ListEntry, ListVersion
from apps.lists.services import list_version_import
from tests.conftest import second_factor_login
from tests.factories import CuratorFactory, UserFactory
from tests.lists.lists_fakes import entries, fake_format, source, write_list  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    user.save()  # the factory sets the password without saving it; the session's auth hash needs the stored one
    return user


@pytest.fixture
def curating_superuser(superuser):
    CuratorFactory(user=superuser)
    return superuser


@pytest.fixture
def quarantined(source, tmp_path):
    list_version_import(source=source, paths=[write_list(tmp_path / "a.jsonl", entries(100))])
    result = list_version_import(source=source, paths=[write_list(tmp_path / "b.jsonl", entries(10))])
    assert result.status == "quarantined"
    return ListVersion.objects.get(pk=result.version)


@pytest.mark.parametrize(("action", "status"), [("approve", VersionStatus.ACTIVE), ("reject", VersionStatus.REJECTED)])
def test_admin_decides_a_quarantined_version_with_a_reason(client, curating_superuser, quarantined, action, status):
    """A public list's version is decided by a curator with a verified second factor (here in the admin)."""
    superuser = curating_superuser
    second_factor_login(client, superuser)
    url = reverse("admin:lists_listversion_changelist")
    page = client.post(url, {"action": action, ACTION_CHECKBOX_NAME: [quarantined.pk]})
    assert page.status_code == 200 and b"Say why" in page.content and b"reason" in page.content
    quarantined.refresh_from_db()
    assert quarantined.status == VersionStatus.QUARANTINED  # nothing before the reason is given
    done = client.post(url, {"action": action, ACTION_CHECKBOX_NAME: [quarantined.pk], "apply": "1",
                             "reason": "Checked against the publisher's notice"})
    assert done.status_code == 302
    quarantined.refresh_from_db()
    assert quarantined.status == status and quarantined.decided_by == superuser
    assert AuditEvent.objects.filter(action=f"listversion.{action}", actor=superuser).exists()


def test_entries_are_read_only_in_the_admin(client, superuser, quarantined):
    client.force_login(superuser)
    entry = ListEntry.objects.filter(version=quarantined).first()
    assert client.get(reverse("admin:lists_listentry_changelist")).status_code == 200
    assert client.get(reverse("admin:lists_listentry_add")).status_code == 403
    response = client.post(reverse("admin:lists_listentry_change", args=[entry.pk]), {"primary_name": "Changed"})
    assert response.status_code == 403
    assert client.get(reverse("admin:lists_fetchrun_changelist")).status_code == 200
    assert client.get(reverse("admin:lists_listdiff_changelist")).status_code == 200
    assert client.get(reverse("admin:lists_listsource_changelist")).status_code == 200


def test_a_superuser_who_is_not_a_curator_cannot_decide_a_public_list(client, superuser, quarantined):
    """Staff and superuser flags give no power over shared data: the service's policy refuses, the admin says
    why, and the version stays quarantined."""
    client.force_login(superuser)
    url = reverse("admin:lists_listversion_changelist")
    client.post(url, {"action": "approve", ACTION_CHECKBOX_NAME: [quarantined.pk], "apply": "1",
                      "reason": "Looks fine"}, follow=True)
    quarantined.refresh_from_db()
    assert quarantined.status == VersionStatus.QUARANTINED
    assert not AuditEvent.objects.filter(action="listversion.approve").exists()
