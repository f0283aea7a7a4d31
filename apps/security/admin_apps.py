from django.contrib.admin.apps import AdminConfig


class SecureAdminConfig(AdminConfig):
    """django.contrib.admin with our AdminSite (optional TOTP, every admin action audited).

    Settings swap it in for "django.contrib.admin", so `admin.site` everywhere is a SecureAdminSite.
    """

    default_site = "apps.security.admin_site.SecureAdminSite"
