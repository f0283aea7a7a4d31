"""Mounts each app's API under /api/v1/. Apps add their routes in their own api/urls.py."""
from django.urls import include, path

from .views import ApiDocsView, ApiRedocView, ApiSchemaView, AuditVerifyView, HealthView, SummaryView

app_name = "api"

urlpatterns = [
    path("health/", HealthView.as_view(), name="health"),
    path("schema/", ApiSchemaView.as_view(), name="schema"),
    path("docs/", ApiDocsView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", ApiRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("summary/", SummaryView.as_view(), name="summary"),
    path("audit-verify/", AuditVerifyView.as_view(), name="audit-verify"),
    path("", include("apps.accounts.api.urls")),
    path("", include("apps.inventory.api.urls")),
    path("", include("apps.vendors.api.urls")),
    path("", include("apps.screening.api.urls")),
    path("", include("apps.lists.api.urls")),
    path("", include("apps.remediation.api.urls")),
    path("", include("apps.audit.api.urls")),
    path("", include("apps.integrations.api.urls")),
    path("", include("apps.outreach.api.urls")),
]
