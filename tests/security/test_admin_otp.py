"""Optional TOTP second factor on the admin site (django-otp): a staff user with a confirmed device must give
its code; SECURITY_ADMIN_REQUIRE_OTP closes the admin to anyone without one (ASVS 2.8.1, 4.3.1)."""
import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


@pytest.fixture
def staff(db):
    user = UserFactory(username="staffer", is_staff=True, is_superuser=True)
    user.save()
    return user


def _token(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_staff_without_device_logs_in_with_password_when_otp_is_optional(client, staff):
    response = client.post(reverse("admin:login"), {"username": "staffer", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_staff_with_device_must_give_a_valid_token(client, staff):
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    no_token = client.post(reverse("admin:login"), {"username": "staffer", "password": PASSWORD})
    assert no_token.status_code == 200 and "_auth_user_id" not in client.session
    wrong = client.post(reverse("admin:login"), {"username": "staffer", "password": PASSWORD, "otp_token": "000000"
                                                 if _token(device) != "000000" else "111111"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    ok = client.post(
        reverse("admin:login"),
        {"username": "staffer", "password": PASSWORD, "otp_device": device.persistent_id, "otp_token": _token(device)},
    )
    assert ok.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_password_only_session_of_a_device_owner_is_refused_by_the_admin(client, staff, login):
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    login(staff)  # e.g. logged in through the officers' login page, without the second factor
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_required_otp_closes_the_admin_to_staff_without_device(client, staff, settings):
    settings.SECURITY_ADMIN_REQUIRE_OTP = True
    response = client.post(reverse("admin:login"), {"username": "staffer", "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
