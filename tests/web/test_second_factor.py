"""The web's second-factor step: a curator verifies the session with a TOTP code before curator actions."""
import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.audit.models import AuditEvent
from apps.lists.choices import VersionStatus
from tests.factories import CuratorFactory, ListSourceFactory, ListVersionFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


@pytest.fixture
def curator_member(org):
    user = MembershipFactory(organization=org, role="viewer").user
    user.save()
    CuratorFactory(user=user)
    return user


def test_a_verified_curator_decides_a_public_list_and_an_unverified_one_is_sent_to_verify(client, curator_member,
                                                                                           settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp delays the try after a failure; this test is not about that
    source = ListSourceFactory(organization=None)
    version = ListVersionFactory(source=source, status=VersionStatus.QUARANTINED, sha256="c" * 64)
    decide = reverse("web:list-version-decide", args=[version.pk, "reject"])
    client.force_login(curator_member)
    refused = client.post(decide, {"reason": "truncated"})
    assert refused.status_code == 403
    assert reverse("web:second-factor") in refused.content.decode()  # the way forward is offered

    device = TOTPDevice.objects.create(user=curator_member, name="phone", confirmed=True)
    page = client.get(reverse("web:second-factor"))
    assert b"Authenticator code" in page.content
    bad = "000000" if _code(device) != "000000" else "111111"
    wrong = client.post(reverse("web:second-factor"), {"otp_token": bad})
    assert wrong.status_code == 400 and b"not valid" in wrong.content
    ok = client.post(reverse("web:second-factor"), {"otp_token": _code(device), "next": decide})
    assert ok.status_code == 302
    assert client.post(decide, {"reason": "truncated"}).status_code == 302
    version.refresh_from_db()
    assert version.status == VersionStatus.REJECTED
    actions = list(AuditEvent.objects.filter(action__startswith="auth.second_factor").values_list("action", flat=True))
    assert actions == ["auth.second_factor_failed", "auth.second_factor"]


def test_second_factor_tries_are_limited(client, curator_member, settings):
    settings.SECURITY_OTP_VERIFY_RATE = "3/300s"
    TOTPDevice.objects.create(user=curator_member, name="phone", confirmed=True)
    client.force_login(curator_member)
    answers = [client.post(reverse("web:second-factor"), {"otp_token": "123456"}).content for _ in range(4)]
    assert b"Too many tries" in answers[-1] and b"Too many tries" not in answers[0]


def test_without_a_device_the_page_says_how_to_get_one(client, curator_member):
    client.force_login(curator_member)
    assert b"no authenticator" in client.get(reverse("web:second-factor")).content
