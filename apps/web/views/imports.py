"""Import page: upload, dry-run preview with row errors, commit all-or-nothing, progress for big files."""
from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.common.exceptions import ApplicationError
from apps.inventory import import_jobs as services
from apps.inventory import imports as inventory_imports
from apps.inventory.models import ImportJob

from .. import selectors
from ..access import org_view
from ..forms import ImportCommitForm, ImportUploadForm


def _job(request, token: str) -> ImportJob:
    access = request.access
    job = get_object_or_404(ImportJob.objects.select_related("organization"), token=token,
                            organization_id__in=access.organization_ids)
    if not access.can_write_in(job.organization_id):
        raise Http404("No such import.")
    return job


@org_view(write=True)
def import_upload(request):
    access = request.access
    if not access.can_write:
        return render(request, "web/read_only.html", status=403)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_job_create(organization=access.organization, user=request.user,
                                             kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"])
        except ApplicationError as exc:
            for field, errs in (exc.fields or {"file": [exc.message]}).items():
                for e in errs:
                    form.add_error(field if field in form.fields else None, e)
        else:
            services.import_job_start(job=job, commit=False)
            return redirect("web:import-preview", token=job.token)
    recent = (ImportJob.objects.filter(organization=access.organization).exclude(kind="bom")  # BOMs: unit page
              .order_by("-created_at")[:10])
    return render(request, "web/import_upload.html", {"form": form, "recent": recent,
                                                      "kinds": inventory_imports.KINDS})


@org_view
def import_template(request, kind: str, fmt: str):
    if kind not in inventory_imports.KINDS or fmt not in inventory_imports.FORMATS:
        raise Http404("No such template.")
    content_type = "text/csv; charset=utf-8" if fmt == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(inventory_imports.import_template(kind, fmt), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{kind}-template.{fmt}"'
    return response


@org_view
def import_codes(request, kind: str):
    """The allowed codes of every coded column, as CSV (the CSV template's companion; the XLSX has a sheet)."""
    if kind not in inventory_imports.KINDS:
        raise Http404("No such template.")
    response = HttpResponse(inventory_imports.import_codes_csv(kind), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind}-codes.csv"'
    return response


@org_view
def import_help(request):
    """Each column, the allowed codes with their meaning, the size limits and the dry-run/commit flow."""
    kinds = [{"kind": kind, "columns": [{"column": c, "codes": inventory_imports.column_codes(c)} for c in columns]}
             for kind, columns in inventory_imports.KINDS.items()]
    return render(request, "web/import_help.html", {
        "kinds": kinds, "max_rows": settings.IMPORT_MAX_ROWS, "max_mb": settings.IMPORT_MAX_BYTES / (1024 * 1024),
        "inline_kb": settings.IMPORT_INLINE_MAX_BYTES // 1024, "preview_rows": inventory_imports.PREVIEW_ROWS,
        "max_errors": inventory_imports.MAX_ERRORS, "close_checks": inventory_imports.CLOSE_NAME_CHECKS})


@org_view(write=True)
@require_POST
def import_vendors(request, token: str):
    """The preview's answer to near-duplicate vendor names: store the choices, re-run the dry run (no re-upload)."""
    job = _job(request, token)
    names = request.POST.getlist("name")
    choices = {name: request.POST.get(f"choice_{i}", "") for i, name in enumerate(names)}
    if not choices:
        messages.error(request, "No vendor choice was sent.")
        return redirect("web:import-preview", token=job.token)
    try:
        job = services.import_job_choose_vendors(job=job, choices=choices)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        services.import_job_start(job=job, commit=False)
        messages.success(request, "Vendor choices saved; the file was checked again with them.")
    return redirect("web:import-preview", token=job.token)


def _choice_rows(job: ImportJob, report) -> list[dict]:
    """Each near-duplicate name of the dry run with its suggestions and the officer's current answer."""
    chosen = job.vendor_choices or {}
    return [{"name": name, "options": options, "current": str(chosen.get(name, ""))}
            for name, options in (report.close_vendors if report else {}).items() if options]


@org_view(write=True)
def import_preview(request, token: str):
    job = _job(request, token)
    form = ImportCommitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_job_start(job=job, commit=True, actor=request.user)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            if job.status == ImportJob.Status.COMMITTED:
                created = job.report.get("created", 0)
                messages.success(request, f"Imported {created} row{'' if created == 1 else 's'} from {job.filename}.")
            return redirect("web:import-preview", token=job.token)
    report = inventory_imports.ImportReport.from_dict(job.report) if job.report else None
    summary = selectors.import_job_risk_summary(job) if job.status == ImportJob.Status.COMMITTED \
        and job.kind == "equipment" else None
    return render(request, "web/import_preview.html", {"job": job, "report": report, "form": form,
                                                       "progress": services.import_job_progress(job),
                                                       "choices": _choice_rows(job, report), "summary": summary})


@org_view
def import_progress(request, token: str):
    """Polled by htmx while the job runs; when it has finished, tells htmx to reload the page."""
    job = _job(request, token)
    if not job.running:
        response = HttpResponse("")
        response["HX-Refresh"] = "true"
        return response
    done, total = services.import_job_progress(job)
    return render(request, "web/import_progress.html", {"job": job, "done": done, "total": total})
