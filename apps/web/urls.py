from django.contrib.auth import views as auth_views
from django.urls import path

from .views import checks, core, exports, imports, inventory, lists, remediation, review, vendors

app_name = "web"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html", redirect_authenticated_user=True),
         name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", core.dashboard, name="dashboard"),
    path("organisation/", core.org_switch, name="org-switch"),
    path("sites/", inventory.site_list, name="site-list"),
    path("sites/export/", exports.site_export, name="site-export"),
    path("vendors/export/", exports.vendor_export, name="vendor-export"),
    path("remediation/export/", exports.plan_export, name="plan-export"),
    path("sites/<int:pk>/", inventory.site_detail, name="site-detail"),
    path("equipment/", inventory.equipment_list, name="equipment-list"),
    path("equipment/export/", exports.equipment_export, name="equipment-export"),
    path("equipment/<int:pk>/", inventory.equipment_detail, name="equipment-detail"),
    path("vendors/", vendors.vendor_list, name="vendor-list"),
    path("vendors/<int:pk>/", vendors.vendor_detail, name="vendor-detail"),
    path("check/", checks.check, name="check"),
    path("check/<int:pk>/", checks.check_record, name="check-record"),
    path("review/", review.review_queue, name="review-queue"),
    path("review/<int:pk>/decide/", review.review_decide, name="review-decide"),
    path("remediation/", remediation.board, name="remediation-board"),
    path("remediation/<int:pk>/", remediation.plan_detail, name="plan-detail"),
    path("remediation/<int:pk>/<str:action>/", remediation.plan_action, name="plan-action"),
    path("remediation/evidence/<int:pk>/", remediation.evidence_download, name="evidence-download"),
    path("lists/", lists.sources, name="list-sources"),
    path("lists/<int:pk>/", lists.source_detail, name="list-source"),
    path("lists/<int:pk>/refresh/", lists.source_refresh, name="list-refresh"),
    path("lists/runs/<int:pk>/", lists.run_progress, name="list-run"),
    path("lists/versions/<int:pk>/", lists.version_detail, name="list-version"),
    path("lists/versions/<int:pk>/<str:decision>/", lists.version_decide, name="list-version-decide"),
    path("import/", imports.import_upload, name="import"),
    path("import/template/<str:kind>.<str:fmt>", imports.import_template, name="import-template"),
    path("import/<str:token>/", imports.import_preview, name="import-preview"),
    path("import/<str:token>/progress/", imports.import_progress, name="import-progress"),
]
