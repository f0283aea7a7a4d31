"""URL wiring: admin, the officers' UI, and the API under /api/v1/."""
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("apps.api.urls")),
    path("", include("apps.web.urls")),
]

handler403 = "apps.common.views.permission_denied"
handler404 = "apps.common.views.page_not_found"
