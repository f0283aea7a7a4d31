"""Lists: sources with version, entry count, last fetch and freshness; diffs per version; quarantined
versions to approve or reject; "refresh now" with a live progress bar (htmx polls the FetchRun).

Public lists are shared by every organisation: deciding on their quarantined versions is for registry
administrators (staff); an organisation's in-house list is decided by that organisation's admins."""
from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.accounts.policies import Action, allowed, is_curator
from apps.common.exceptions import ApplicationError
from apps.lists import services as list_services
from apps.lists.choices import RunStatus, VersionStatus
from apps.lists.models import FetchRun, ListSource, ListVersion
from apps.lists.selectors import (
    list_source_downloadable,
    list_source_freshness,
    list_source_runs,
    list_version_active,
    list_version_decider_text,
    list_version_in_use_text,
    list_versions_quarantined_explained,
)

from .. import selectors
from ..access import org_view
from ..forms import ListUploadForm, ReasonForm, SinceForm, form_add_errors

RUNNING = (RunStatus.QUEUED, RunStatus.RUNNING)


def _visible_sources(request):
    return ListSource.objects.visible_to(request.access.organization_ids)


def _may_decide(request, source: ListSource) -> bool:
    return allowed(request.user, Action.ADMINISTER, source)


def _may_refresh(request, source: ListSource) -> bool:
    return allowed(request.user, Action.REFRESH_LIST, source)


def _may_upload(request, source: ListSource) -> bool:
    return allowed(request.user, Action.IMPORT_LIST, source)


def _failure(run: FetchRun | None, source: ListSource, active: ListVersion | None):
    """The explanation of `run` when it is the source's last finished run and it failed (else None)."""
    if run is None or run.status != RunStatus.FAILED:
        return None
    return list_services.fetch_run_failure_explain(reason=run.error or run.message, source=source, active=active,
                                                   trigger=run.trigger)


@org_view
def sources(request):
    last_run = FetchRun.objects.filter(source=OuterRef("pk")).order_by("-started_at").values("pk")[:1]
    qs = _visible_sources(request).select_related("organization").annotate(
        n_quarantined=Count("versions", filter=Q(versions__status=VersionStatus.QUARANTINED)),
        last_run_id=Subquery(last_run)).order_by("name")
    sources = list(qs)
    ids = [s.pk for s in sources]
    active = {v.source_id: v for v in ListVersion.objects.filter(status=VersionStatus.ACTIVE, source_id__in=ids)}
    last_runs = {r.source_id: r for r in FetchRun.objects.filter(
        pk__in=[s.last_run_id for s in sources if s.last_run_id])}
    rows = []
    for s in sources:
        run = last_runs.get(s.pk)
        rows.append({"source": s, "freshness": list_source_freshness(s), "active": active.get(s.pk),
                     "run": run if run is not None and run.status in RUNNING else None,
                     "failure": _failure(run, s, active.get(s.pk)),
                     "may_refresh": list_source_downloadable(s) and _may_refresh(request, s)})
    return render(request, "web/list_sources.html", {
        "rows": rows, "quarantined": list_versions_quarantined_explained(source_ids=ids),
        "may_decide_any": is_curator(request.user) or request.access.admin_anywhere,
    })


@org_view
def source_detail(request, pk: int):
    source = get_object_or_404(_visible_sources(request), pk=pk)
    versions = Paginator(source.versions.select_related("diff", "decided_by").order_by("-fetched_at"), 20
                         ).get_page(request.GET.get("page"))
    return _source_page(request, source, versions=versions)


def _source_page(request, source: ListSource, *, versions=None, upload_form=None, status: int = 200):
    if versions is None:
        versions = Paginator(source.versions.select_related("diff", "decided_by").order_by("-fetched_at"), 20
                             ).get_page(None)
    runs = list(list_source_runs(source=source, limit=10))
    running = next((r for r in runs if r.status in RUNNING), None)
    active = list_version_active(source.pk)
    finished = next((r for r in runs if r.status not in RUNNING), None)
    may_upload = _may_upload(request, source)
    failure = _failure(finished, source, active) if running is None else None
    for r in runs:  # older failures in one line each; the last one is explained above the list
        r.failure_headline = "" if r.status != RunStatus.FAILED or (failure and r is finished) else (
            list_services.fetch_run_failure_explain(reason=r.error or r.message, source=source).headline)
    return render(request, "web/list_source.html", {
        "source": source, "freshness": list_source_freshness(source), "page_obj": versions, "runs": runs,
        "running": running, "may_decide": _may_decide(request, source), "may_refresh": _may_refresh(request, source),
        "downloadable": list_source_downloadable(source), "may_upload": may_upload,
        "upload_form": upload_form or (ListUploadForm() if may_upload else None),
        "active": active, "in_use_text": list_version_in_use_text(active=active, prefix=""),
        "failure": failure, "explained_run": finished if failure else None,
        "quarantined": list_versions_quarantined_explained(source_ids=[source.pk]),
        "decider": list_version_decider_text(source),
    }, status=status)


@org_view(policy=True)  # curators upload public lists whatever their role in the selected organisation
@require_POST
def source_upload(request, pk: int):
    """An offline import from the browser: the same pipeline as `manage.py import_list` (sha256, parse, diff,
    guard, quarantine). Public lists: verified curators; an in-house list: its organisation's admins."""
    if not (is_curator(request.user) or request.access.admin_anywhere):
        raise PermissionDenied("Only curators (public lists) and organisation administrators (their in-house "
                               "lists) may upload a list file.")
    source = get_object_or_404(_visible_sources(request).select_related("organization"), pk=pk)
    if not _may_upload(request, source):
        raise PermissionDenied("A public list's file is uploaded by a registry curator (with a verified second "
                               "factor); an in-house list's by its organisation's administrators.")
    form = ListUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            outcome = list_services.list_version_upload(source=source, files=form.cleaned_data["files"],
                                                        user=request.user)
        except ApplicationError as exc:
            if exc.code == "forbidden":
                raise
            form_add_errors(form, exc)
        else:
            if outcome.ok:
                level = messages.success if outcome.result.status == RunStatus.ACTIVE else messages.info
                level(request, outcome.message)
                return redirect("web:list-source", pk=source.pk)
            form.add_error("files", outcome.message)
    return _source_page(request, source, upload_form=form, status=400)


@org_view(write=True)
@require_POST
def source_refresh(request, pk: int):
    source = get_object_or_404(_visible_sources(request), pk=pk)
    if not _may_refresh(request, source):
        raise PermissionDenied("Only organisation administrators (or curators) may refresh this list.")
    try:
        run = list_services.list_source_refresh_request(source=source, user=request.user)
    except ApplicationError as exc:
        if request.htmx:  # swapped in place of the button, which stays (a retry)
            return render(request, "web/list_refresh_form.html", {"source": source, "error": exc.message,
                                                                  "may_upload": _may_upload(request, source)})
        messages.error(request, exc.message)
        return redirect("web:list-source", pk=source.pk)
    if request.htmx:
        return render(request, "web/list_run_progress.html", _run_context(request, run))
    messages.info(request, f"Refresh of {source.name} queued.")
    return redirect("web:list-source", pk=source.pk)


@org_view
def run_progress(request, pk: int):
    run = get_object_or_404(FetchRun.objects.select_related("source", "version").visible_to(
        request.access.organization_ids), pk=pk)
    return render(request, "web/list_run_progress.html", _run_context(request, run))


def _run_context(request, run: FetchRun) -> dict:
    """A run's fragment: progress while it runs; once failed, the explanation and a retry (the button stays)."""
    failure = None
    if run.status == RunStatus.FAILED:
        active = list_version_active(run.source_id)
        failure = _failure(run, run.source, active)
    return {"run": run, "failure": failure, "may_refresh": _may_refresh(request, run.source),
            "may_upload": failure is not None and _may_upload(request, run.source)}


@org_view
def version_detail(request, pk: int):
    version = get_object_or_404(ListVersion.objects.select_related("source", "diff", "decided_by").visible_to(
        request.access.organization_ids), pk=pk)
    diff = getattr(version, "diff", None)
    details = diff.details if diff else {}
    quarantine = None
    if version.status == VersionStatus.QUARANTINED:  # what it means for the people who screen
        quarantine = next(iter(list_versions_quarantined_explained(source_ids=[version.source_id],
                                                                   version_ids=[version.pk])), None)
    return render(request, "web/list_version.html", {
        "version": version, "diff": diff, "quarantine": quarantine,
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
