"""Lists: sources with version, entry count, last fetch and freshness; diffs per version; quarantined
versions to approve or reject; "refresh now" with a live progress bar (htmx polls the FetchRun).

Public lists are shared by every organisation: deciding on their quarantined versions is for registry
administrators (staff); an organisation's in-house list is decided by that organisation's admins."""
from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from apps.accounts.policies import Action, allowed, is_curator
from apps.common.exceptions import ApplicationError
from apps.lists import services as list_services
from apps.lists.choices import RunStatus, VersionStatus
from apps.lists.models import FetchRun, ListSource, ListVersion
from apps.lists.selectors import list_source_freshness, list_source_runs, list_versions_quarantined

from .. import selectors
from ..access import org_view
from ..forms import ReasonForm, SinceForm

RUNNING = (RunStatus.QUEUED, RunStatus.RUNNING)


def _visible_sources(request):
    return ListSource.objects.visible_to(request.access.organization_ids)


def _may_decide(request, source: ListSource) -> bool:
    return allowed(request.user, Action.ADMINISTER, source)


def _may_refresh(request, source: ListSource) -> bool:
    return allowed(request.user, Action.REFRESH_LIST, source)


@org_view
def sources(request):
    qs = _visible_sources(request).select_related("organization").annotate(
        n_quarantined=Count("versions", filter=Q(versions__status=VersionStatus.QUARANTINED))).order_by("name")
    active = {v.source_id: v for v in ListVersion.objects.filter(status=VersionStatus.ACTIVE,
                                                                 source__in=qs.values("pk"))}
    running = {r.source_id: r for r in FetchRun.objects.filter(status__in=RUNNING, source__in=qs.values("pk"))}
    rows = [{"source": s, "freshness": list_source_freshness(s), "active": active.get(s.pk),
             "run": running.get(s.pk), "may_refresh": _may_refresh(request, s)} for s in qs]
    quarantined = [v for v in list_versions_quarantined() if v.source_id in {r["source"].pk for r in rows}]
    return render(request, "web/list_sources.html", {"rows": rows, "quarantined": quarantined})


@org_view
def source_detail(request, pk: int):
    source = get_object_or_404(_visible_sources(request), pk=pk)
    versions = Paginator(source.versions.select_related("diff", "decided_by").order_by("-fetched_at"), 20
                         ).get_page(request.GET.get("page"))
    runs = list(list_source_runs(source=source, limit=10))
    running = next((r for r in runs if r.status in RUNNING), None)
    return render(request, "web/list_source.html", {
        "source": source, "freshness": list_source_freshness(source), "page_obj": versions, "runs": runs,
        "running": running, "may_decide": _may_decide(request, source), "may_refresh": _may_refresh(request, source),
    })


@org_view(write=True)
@require_POST
def source_refresh(request, pk: int):
    source = get_object_or_404(_visible_sources(request), pk=pk)
    if not _may_refresh(request, source):
        raise PermissionDenied("Only organisation administrators (or curators) may refresh this list.")
    try:
        run = list_services.list_source_refresh_request(source=source, user=request.user)
    except ApplicationError as exc:
        if request.htmx:  # swapped in place of the button
            return HttpResponse(format_html('<p class="error" role="alert">{}</p>', exc.message))
        messages.error(request, exc.message)
        return redirect("web:list-source", pk=source.pk)
    if request.htmx:
        return render(request, "web/list_run_progress.html", {"run": run})
    messages.info(request, f"Refresh of {source.name} queued.")
    return redirect("web:list-source", pk=source.pk)


@org_view
def run_progress(request, pk: int):
    run = get_object_or_404(FetchRun.objects.select_related("source", "version").visible_to(
        request.access.organization_ids), pk=pk)
    return render(request, "web/list_run_progress.html", {"run": run})


@org_view
def version_detail(request, pk: int):
    version = get_object_or_404(ListVersion.objects.select_related("source", "diff", "decided_by").visible_to(
        request.access.organization_ids), pk=pk)
    diff = getattr(version, "diff", None)
    details = diff.details if diff else {}
    return render(request, "web/list_version.html", {
        "version": version, "diff": diff,
        "added": (details.get("added") or [])[:500], "removed": (details.get("removed") or [])[:500],
        "changed": (details.get("changed") or [])[:500], "form": ReasonForm(),
        "may_decide": _may_decide(request, version.source) and version.status == VersionStatus.QUARANTINED,
    })


@org_view(policy=True)  # curators decide public lists whatever their role in the selected organisation
@require_POST
def version_decide(request, pk: int, decision: str):
    if decision not in ("approve", "reject"):
        raise Http404("Unknown decision.")
    if not (is_curator(request.user) or request.access.admin_anywhere):  # read-only and officers: 403 first
        raise PermissionDenied("Quarantined versions are decided by curators (public lists) and by the owning "
                               "organisation's administrators (in-house lists).")
    version = get_object_or_404(ListVersion.objects.select_related("source").visible_to(
        request.access.organization_ids), pk=pk)
    if not _may_decide(request, version.source):
        raise PermissionDenied("Public lists are decided by curators (with a verified second factor); an "
                               "in-house list by its organisation's administrators.")
    form = ReasonForm(request.POST)
    if form.is_valid():
        service = list_services.list_version_approve if decision == "approve" else list_services.list_version_reject
        try:
            service(version=version, user=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Version {decision}d.")
            return redirect("web:list-source", pk=version.source_id)
    diff = getattr(version, "diff", None)
    return render(request, "web/list_version.html", {"version": version, "diff": diff, "added": [], "removed": [],
                                                     "changed": [], "form": form, "may_decide": True}, status=400)


CHANGES_DEFAULT_DAYS = 7


@org_view
def changes(request):
    """What changed in the lists since a day (a week ago by default), and which of our sites it touches."""
    today = timezone.localdate()
    form = SinceForm(request.GET if "since" in request.GET else None,
                     initial={"since": today - dt.timedelta(days=CHANGES_DEFAULT_DAYS)})
    since_day = form.cleaned_data["since"] if form.is_bound and form.is_valid() else form.initial["since"]
    since_day = min(since_day, today)
    since = timezone.make_aware(dt.datetime.combine(since_day, dt.time.min))
    org = request.access.organization
    data = selectors.list_changes(organization_id=org.pk, sources=_visible_sources(request), since=since) \
        if org else {}
    return render(request, "web/list_changes.html", {"form": form, "since_day": since_day, **data})
