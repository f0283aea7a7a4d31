from drf_spectacular.utils import extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .selectors import health_report
from .viewsets import API_AUTHENTICATION

_check = inline_serializer("HealthCheck", {"ok": serializers.BooleanField()})
HEALTH_RESPONSE = inline_serializer(
    "Health",
    {
        "status": serializers.ChoiceField(choices=["ok", "degraded"]),
        "checks": serializers.DictField(child=serializers.DictField(),
                                        help_text="database, broker and lists, each with `ok` and details."),
    },
)


class HealthView(APIView):
    """Database, broker and list freshness, for monitoring. The only endpoint open to anonymous users."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(responses={200: HEALTH_RESPONSE, 503: HEALTH_RESPONSE}, auth=[])
    def get(self, request):
        report = health_report()
        return Response(report, status=200 if report["status"] == "ok" else 503)


class ApiSchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema; for signed-in users and token holders only."""

    authentication_classes = API_AUTHENTICATION
    permission_classes = [IsAuthenticated]


class ApiDocsView(SpectacularSwaggerView):
    authentication_classes = API_AUTHENTICATION
    permission_classes = [IsAuthenticated]


class ApiRedocView(SpectacularRedocView):
    authentication_classes = API_AUTHENTICATION
    permission_classes = [IsAuthenticated]
