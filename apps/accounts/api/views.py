"""The user's organisations (with their role) and the user's own API tokens."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.accounts.filtersets import OrganizationFilterSet, member_roles
from apps.accounts.models import Organization
from apps.api.models import ApiToken
from apps.api.pagination import ApiCursorPagination
from apps.api.permissions import ADMIN_ROLES
from apps.api.schema import ApiAutoSchema
from apps.api.services import api_token_create, api_token_revoke
from apps.api.viewsets import API_AUTHENTICATION, API_THROTTLES, ReadOnlyApiViewSet, ServiceUpdateMixin
from apps.remediation.services import organization_profile_update

from .serializers import (
    ApiTokenCreatedSerializer,
    ApiTokenCreateSerializer,
    ApiTokenSerializer,
    OrganizationProfileInputSerializer,
    OrganizationSerializer,
)


class OrganizationViewSet(ServiceUpdateMixin, ReadOnlyApiViewSet):
    """The organisations the user belongs to, with the user's role in each and the profile that decides which
    rules bind it. PATCH: the profile (jurisdiction, legal kinds, own remediation target), by its admins."""

    queryset = Organization.objects.all()
    serializer_class = OrganizationSerializer
    base_filterset_class = OrganizationFilterSet
    organization_field = None
    ordering_fields = ["id", "name"]
    update_serializer_class = OrganizationProfileInputSerializer
    write_roles = ADMIN_ROLES  # the profile: the organisation's admins (policy action ADMINISTER)
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        return Organization.objects.filter(id__in=self.member_organization_ids())

    def object_organization_id(self, obj) -> int | None:
        return obj.pk  # an organisation is its own: its admins decide, not the curators

    def perform_service_update(self, organization, data):
        return organization_profile_update(organization=organization, actor=self.request.user, **data)

    def page_context(self, objects: list) -> dict:
        return {"roles": member_roles(self.request.user)}


class ApiTokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin,
                      viewsets.GenericViewSet):
    """Your own API tokens: list them, create one (the key is shown once), revoke one (DELETE)."""

    queryset = ApiToken.objects.all()
    serializer_class = ApiTokenSerializer
    schema = ApiAutoSchema()
    authentication_classes = API_AUTHENTICATION
    throttle_classes = API_THROTTLES
    permission_classes = [IsAuthenticated]
    pagination_class = ApiCursorPagination
    filter_backends: list = []

    def get_queryset(self):
        return ApiToken.objects.filter(user=self.request.user)

    @extend_schema(request=ApiTokenCreateSerializer, responses={201: ApiTokenCreatedSerializer})
    def create(self, request):
        serializer = ApiTokenCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, key = api_token_create(user=request.user, actor=request.user, **serializer.validated_data)
        data = ApiTokenSerializer(token).data | {"key": key}
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        api_token_revoke(token=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
