from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .selectors import health_report


class HealthView(APIView):
    """Database, broker and list freshness, for monitoring. The only endpoint open to anonymous users."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses={200: dict, 503: dict})
    def get(self, request):
        report = health_report()
        return Response(report, status=200 if report["status"] == "ok" else 503)
