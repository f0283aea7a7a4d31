from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework import permissions, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.filtersets import member_organization_ids
from apps.accounts.policies import Action, allowed
from apps.audit.services import audit_chain_verify, audit_tail_start
from apps.inventory.models import Site
from apps.remediation.summary import summary_report

from .bounds import MAX_VALUES
from .docs import redoc_standalone_script
from .permissions import IsMemberWithRole
from .schema import AS_OF_PARAMETER, ApiAutoSchema
from .selectors import health_report
from .serializers import SummarySerializer
from .viewsets import API_AUTHENTICATION, API_THROTTLES, parse_as_of

HEALTH_RESPONSE = inline_serializer(
    "Health",
    {
        "status": serializers.ChoiceField(choices=["ok", "degraded", "unavailable"]),
        "checks": serializers.DictField(
            child=serializers.DictField(), required=False,
            help_text="Signed-in users only: database, broker, cache and lists, each with `ok` and details."),
    },
)


class HealthView(APIView):
    """For monitoring; the only endpoint open to anonymous users. Anonymous callers get only `ok` (200) or
    `unavailable` (503): which database, broker or list failed, and why, is for signed-in users (a session or
    a token), so the endpoint tells an outsider nothing about the deployment."""

    permission_classes = [AllowAny]
    authentication_classes = API_AUTHENTICATION
    throttle_classes: list = []

    @extend_schema(responses={200: HEALTH_RESPONSE, 503: HEALTH_RESPONSE})
    def get(self, request):
        report = health_report()
        status = 200 if report["status"] == "ok" else 503
        if not request.user.is_authenticated:
            return Response({"status": "ok" if status == 200 else "unavailable"}, status=status)
        return Response(report, status=status)


class ApiSchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema; for signed-in users and token holders only."""

    authentication_classes = API_AUTHENTICATION
    permission_classes = [IsAuthenticated]


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI from the vendored sidecar files; its init script is served as a file (`?script`), not
    inline, so the Content-Security-Policy (script-src 'self') lets it run."""

    authentication_classes = API_AUTHENTICATION
    permission_classes = [IsAuthenticated]


class ApiRedocView(SpectacularRedocView):
    """ReDoc under the Content-Security-Policy (script-src 'self', nothing from other origins).

    drf-spectacular's template links Google Fonts, has an inline <style> and, with REDOC_UI_SETTINGS, an
    inline `Redoc.init(...)` script. Ours (templates/api/redoc.html) has only a `<redoc spec-url>` element,
    which the bundle reads by itself, and same-origin files. The bundle is the vendored sidecar file served
    from this URL with `?script=<digest>` (like the Swagger split view's init script), without the badge
    image it would otherwise load from cdn.redoc.ly (see apps.api.docs).
    """

    template_name = "api/redoc.html"
    authentication_classes = API_AUTHENTICATION
    permission_classes = [IsAuthenticated]

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        script, digest = redoc_standalone_script()
        if request.GET.get("script") is not None:
            response = HttpResponse(script, content_type="application/javascript; charset=utf-8")
            patch_cache_control(response, private=True, max_age=24 * 3600)
            return response
        return Response(
            {"title": self.title, "redoc_standalone": f"{request.path}?script={digest}",
             "schema_url": self._get_schema_url(request)},
            template_name=self.template_name,
        )


class SummaryView(APIView):
    """Counts by risk status, by site and by category, remediation status and overdue plans, and the list
    versions in force; for the user's organisations, now or `as_of` a past day (from history)."""

    schema = ApiAutoSchema()
    authentication_classes = API_AUTHENTICATION
    throttle_classes = API_THROTTLES
    permission_classes = [IsMemberWithRole]

    @extend_schema(
        parameters=[
            AS_OF_PARAMETER,
            OpenApiParameter("organization", OpenApiTypes.INT, many=True, explode=True,
                             description="Only these organisations (yours)."),
            OpenApiParameter("site", OpenApiTypes.INT, many=True, explode=True, description="Only these sites."),
        ],
        responses={200: SummarySerializer},
    )
    def get(self, request):
        member = member_organization_ids(request.user)
        org_ids = _ids(request, "organization", allowed=set(member))
        site_ids = None
        if request.query_params.getlist("site"):
            own_sites = set(Site.objects.filter(organization_id__in=org_ids or member).values_list("id", flat=True))
            site_ids = _ids(request, "site", allowed=own_sites)
        as_of = parse_as_of(request.query_params.get("as_of"))
        report = summary_report(organization_ids=org_ids or member, site_ids=site_ids, as_of=as_of)
        return Response(SummarySerializer(report).data)


def _ids(request, name: str, *, allowed: set[int]) -> list[int]:
    """Ids from a repeated query parameter (at most MAX_VALUES); an id outside `allowed` is refused like one that
    does not exist."""
    values = request.query_params.getlist(name)
    if len(values) > MAX_VALUES:  # as the schema says (apps.api.bounds)
        raise ValidationError({name: [f"At most {MAX_VALUES} values."]})
    ids = []
    for value in values:
        try:
            ident = int(value)
        except ValueError:
            raise ValidationError({name: [f"“{value}” is not a valid id."]}) from None
        if ident not in allowed:
            raise ValidationError({name: [f"Select a valid choice. {ident} is not one of the available choices."]})
        ids.append(ident)
    return ids


class AuditVerifySerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    checked = serializers.IntegerField(help_text="Events verified in the window before the first problem (or all).")
    first_broken_id = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)
    legacy = serializers.IntegerField(help_text="Unkeyed events from before the audit keys, among those checked.")
    checkpoints = serializers.IntegerField(help_text="Signed checkpoints compared with the chain.")
    since_id = serializers.IntegerField(help_text="The window starts after this event id.")
    last_id = serializers.IntegerField(allow_null=True, help_text="The last event verified.")
    complete = serializers.BooleanField(help_text="The window reached the chain's head; otherwise ask again "
                                                  "with since_id=last_id.")


class IsOrganizationAdminOrStaff(permissions.BasePermission):
    """Organisation admins (in any organisation) and curators only: the chain spans every organisation
    (apps.accounts.policies.Action.VERIFY_AUDIT)."""

    message = "Only organisation administrators may verify the audit trail."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        return allowed(user, Action.VERIFY_AUDIT)


class AuditVerifyView(APIView):
    """Verify a bounded window of the keyed audit chain against the signed checkpoints: by default the events
    since the newest checkpoint (whose head must still be there, unchanged), at most AUDIT_VERIFY_MAX_EVENTS.
    The whole chain is `manage.py verify_audit`. Organisation admins and staff only."""

    schema = ApiAutoSchema()
    authentication_classes = API_AUTHENTICATION
    throttle_classes = API_THROTTLES
    permission_classes = [IsOrganizationAdminOrStaff]

    @extend_schema(
        parameters=[
            OpenApiParameter("since_id", OpenApiTypes.INT, description="Verify the events after this id "
                             "(default: the newest checkpoint's head; 0: from the start)."),
            OpenApiParameter("limit", OpenApiTypes.INT, description="At most this many events (default and "
                             "maximum: AUDIT_VERIFY_MAX_EVENTS)."),
        ],
        responses={200: AuditVerifySerializer},
    )
    def get(self, request):
        maximum = settings.AUDIT_VERIFY_MAX_EVENTS
        since_id = _bounded_int(request, "since_id", low=0, high=2**63 - 1, default=None)
        limit = _bounded_int(request, "limit", low=1, high=maximum, default=maximum)
        if since_id is None:
            since_id = audit_tail_start()
        verdict = audit_chain_verify(since_id=since_id, limit=limit)
        return Response(AuditVerifySerializer(verdict).data)


def _bounded_int(request, name: str, *, low: int, high: int, default: int | None) -> int | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise ValidationError({name: [f"“{value}” is not a whole number."]}) from None
    if not low <= number <= high:
        raise ValidationError({name: [f"Must be between {low} and {high}."]})
    return number
