"""Authentication events into the audit chain (Django's auth signals; the receivers only pass data)."""
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .middleware import SESSION_AUTH_TIME, SESSION_LAST_SEEN


@receiver(user_login_failed, dispatch_uid="security.login_failed")
def _on_login_failed(sender, credentials=None, request=None, **kwargs):
    from .services import login_failed_record

    login_failed_record(credentials=credentials, request=request)


@receiver(user_logged_in, dispatch_uid="security.logged_in")
def _on_logged_in(sender, request=None, user=None, **kwargs):
    import time

    from .services import login_succeeded_record

    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SESSION_AUTH_TIME] = now
        request.session[SESSION_LAST_SEEN] = now
    login_succeeded_record(user=user, request=request)


@receiver(user_logged_out, dispatch_uid="security.logged_out")
def _on_logged_out(sender, request=None, user=None, **kwargs):
    from .services import logout_record

    logout_record(user=user, request=request)
