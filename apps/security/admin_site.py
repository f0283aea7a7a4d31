"""The admin site: optional TOTP second factor, and every admin action appended to the audit chain.

* A staff user with a confirmed TOTP device (django-otp) must enter its code at the admin login; one
  without a device logs in with the password only, unless SECURITY_ADMIN_REQUIRE_OTP is on, in which case
  the admin is closed to anyone not verified by a device (ASVS 2.8 / 4.3.1).
* Each admin request that creates LogEntry rows (add, change, delete - including bulk deletes, which Django
  writes with bulk_create and so without signals) appends one audit event per LogEntry; any other admin POST
  appends an `admin.post` event.
"""
from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django_otp import user_has_device
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite

from .services import admin_action_record

_FLAGS = {ADDITION: "addition", CHANGE: "change", DELETION: "deletion"}


def _otp_required() -> bool:
    return bool(getattr(settings, "SECURITY_ADMIN_REQUIRE_OTP", False))


class OptionalOTPAdminAuthenticationForm(OTPAdminAuthenticationForm):
    """Asks for the token only from users who have a device (or from everyone when OTP is required)."""

    def clean(self):
        cleaned = super(OTPAdminAuthenticationForm, self).clean()  # password check (and axes) only
        user = self.get_user()
        if user is not None and (_otp_required() or user_has_device(user)):
            self.clean_otp(user)
        return cleaned


class SecureAdminSite(OTPAdminSite):
    login_form = OptionalOTPAdminAuthenticationForm

    def __init__(self, name: str = "admin"):
        super().__init__(name)

    def has_permission(self, request) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        if getattr(user, "is_verified", None) and user.is_verified():
            return True
        return not _otp_required() and not user_has_device(user)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def audited(request, *args, **kwargs):
            if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
                return inner(request, *args, **kwargs)
            before = LogEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
            response = inner(request, *args, **kwargs)
            user = request.user if request.user.is_authenticated else None
            if user is None:
                return response
            entries = list(
                LogEntry.objects.filter(id__gt=before, user_id=user.pk).select_related("content_type").order_by("id")
            )
            for entry in entries:
                ct = entry.content_type
                admin_action_record(
                    user=user,
                    action_flag=_FLAGS.get(entry.action_flag, str(entry.action_flag)),
                    object_type=f"{ct.app_label}.{ct.model}" if ct else "",
                    object_id=entry.object_id or "",
                    object_repr=entry.object_repr,
                    message=entry.get_change_message(),
                    path=request.path,
                )
            if not entries and response.status_code < 400:
                admin_action_record(user=user, action_flag="post", object_type="", object_id="",
                                    object_repr=request.path, message=f"HTTP {response.status_code}",
                                    path=request.path)
            return response

        return audited
