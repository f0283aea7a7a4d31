"""List endpoints: sources with freshness (`/lists/`), versions, entries, diffs and fetch runs. Public
lists are shared reference data; an organisation's in-house list is visible to its members only. Admins
refresh sources and approve or reject quarantined versions."""
from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from apps.accounts.policies import Action
from apps.api.permissions import ADMIN_ROLES
from apps.api.viewsets import ReadOnlyApiViewSet
from apps.common.exceptions import ApplicationError
from apps.lists.choices import VersionStatus
from apps.lists.filtersets import (
    FetchRunFilterSet,
    ListDiffFilterSet,
    ListEntryFilterSet,
    ListSourceFilterSet,
    ListVersionFilterSet,
)
from apps.lists.models import FetchRun, ListDiff, ListEntry, ListSource, ListVersion
from apps.lists.services import (
    list_source_refresh_request,
    list_version_approve,
    list_version_reject,
    list_version_upload,
)

from .serializers import (
    DecisionInputSerializer,
    FetchRunSerializer,
    ListDiffDetailSerializer,
    ListDiffSerializer,
    ListEntrySerializer,
    ListSourceSerializer,
    ListUploadInputSerializer,
    ListUploadResultSerializer,
    ListVersionSerializer,
)


class ListScopeMixin:
    """Public lists for every member; in-house lists for their organisation's members."""

    organization_field = None
    write_roles = ADMIN_ROLES
    # apps.accounts.policies; approve/reject: ADMINISTER
    policy_actions = {"refresh": Action.REFRESH_LIST, "upload": Action.IMPORT_LIST}

    def scope(self, queryset):
        return queryset.visible_to(self.member_organization_ids())  # each list model's queryset knows its path

    def object_organization_id(self, obj):
        source = obj if isinstance(obj, ListSource) else obj.source
        return source.organization_id


class ListSourceViewSet(ListScopeMixin, ReadOnlyApiViewSet):
    """Restricted-party list sources with freshness and the active version."""

    queryset = ListSource.objects.prefetch_related(
        Prefetch("versions", queryset=ListVersion.objects.filter(status=VersionStatus.ACTIVE),
                 to_attr="active_versions"))
    serializer_class = ListSourceSerializer
    base_filterset_class = ListSourceFilterSet
    ordering_fields = ["id", "code", "last_success_at"]

    def page_context(self, objects: list) -> dict:
        return {"now": timezone.now()}

    @extend_schema(request=None, responses={202: FetchRunSerializer})
    @action(detail=True, methods=["post"])
    def refresh(self, request, pk=None):
        """Fetch the source now (admins). Answers with the queued run (or the one already queued)."""
        run = list_source_refresh_request(source=self.get_object(), user=request.user)
        return Response(FetchRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request={"multipart/form-data": ListUploadInputSerializer},
                   responses={200: ListUploadResultSerializer})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser, JSONParser])
    def upload(self, request, pk=None):
        """Import the list's file(s) like `manage.py import_list` (sha256, parse, diff, guard, quarantine): public
        lists by curators, an in-house list by its organisation's admins. 200 with the result (`unchanged` for a
        file already loaded, `quarantined` when the guard holds it back); 400 when the file was refused."""
        source = self.get_object()  # permission and scope first: 404/403 before any input error
        serializer = ListUploadInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        outcome = list_version_upload(source=source, files=serializer.validated_data["files"], user=request.user)
        if not outcome.ok:
            raise ApplicationError(outcome.message, code="import_failed", fields={"files": [outcome.message]})
        return Response({**outcome.result.as_dict(), "message": outcome.message})


class ListVersionViewSet(ListScopeMixin, ReadOnlyApiViewSet):
    """Every parsed copy of a source: status, sha256, entry count, activation and supersession times."""

    queryset = ListVersion.objects.select_related("source", "decided_by", "diff")
    serializer_class = ListVersionSerializer
    base_filterset_class = ListVersionFilterSet
    ordering_fields = ["id", "fetched_at", "activated_at"]

    def _decide(self, request, service):
        version = self.get_object()  # permission and scope first: 404/403 before any input error
        serializer = DecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = service(version=version, user=request.user, reason=serializer.validated_data["reason"])
        version = self.get_queryset().get(pk=version.pk)
        return Response(ListVersionSerializer(version).data)

    @extend_schema(request=DecisionInputSerializer, responses={200: ListVersionSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Activate a quarantined version (admins), with a reason."""
        return self._decide(request, list_version_approve)

    @extend_schema(request=DecisionInputSerializer, responses={200: ListVersionSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject a quarantined version for good (admins), with a reason."""
        return self._decide(request, list_version_reject)


class ListEntryViewSet(ListScopeMixin, ReadOnlyApiViewSet):
    """Normalised entries of every version (immutable)."""

    queryset = ListEntry.objects.select_related("version__source")
    serializer_class = ListEntrySerializer
    base_filterset_class = ListEntryFilterSet
    ordering_fields = ["id", "listed_on"]

    def object_organization_id(self, obj):
        return obj.version.source.organization_id


class ListDiffViewSet(ListScopeMixin, ReadOnlyApiViewSet):
    """What changed between a version and the one active before it (details in the detail view)."""

    queryset = ListDiff.objects.select_related("version__source")
    base_filterset_class = ListDiffFilterSet
    ordering_fields = ["id", "created_at"]

    def get_serializer_class(self):
        return ListDiffDetailSerializer if self.action == "retrieve" else ListDiffSerializer

    def object_organization_id(self, obj):
        return obj.version.source.organization_id


class FetchRunViewSet(ListScopeMixin, ReadOnlyApiViewSet):
    """Refresh and import attempts: status, timings, counts, error."""

    queryset = FetchRun.objects.select_related("source")
    serializer_class = FetchRunSerializer
    base_filterset_class = FetchRunFilterSet
    ordering_fields = ["id", "started_at"]
