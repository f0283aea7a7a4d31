"""Bills of materials on the web: upload for a unit or its product model, preview (vendors, unknown names with
suggestions, the diff with the version in force), commit, and the CycloneDX export with the findings. Every step
calls apps.inventory.bom (the API and `manage.py import_bom` call the same services)."""
from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.common.exceptions import ApplicationError
from apps.inventory import bom as boms
from apps.inventory.models import BomDocument, Equipment, ImportJob
from apps.screening.bom_export import bom_export_cyclonedx, equipment_export_cyclonedx

from ..access import org_scope, org_view
from ..forms import BomUploadForm, ImportCommitForm
from ..selectors import organization_vendor_names
from .inventory import _equipment_for_write


@org_view(write=True)
@require_POST
def bom_upload(request, pk: int):
    unit = _equipment_for_write(request, pk)
    form = BomUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a CycloneDX or SPDX file and what it describes.")
        return redirect("web:equipment-detail", pk=unit.pk)
    try:
        job = boms.bom_upload_store(organization=unit.site.organization, user=request.user, equipment=unit,
                                    upload=form.cleaned_data["file"], for_model=form.cleaned_data["for_model"])
    except ApplicationError as exc:
        messages.error(request, f"Refused: {exc.message}")
        return redirect("web:equipment-detail", pk=unit.pk)
    return redirect("web:bom-preview", token=job.token)


def _job(request, token: str) -> ImportJob:
    job = get_object_or_404(ImportJob.objects.select_related("organization"), token=token, kind="bom",
                            organization_id__in=request.access.organization_ids)
    org_scope(request, job.organization_id)
    if not request.access.can_write_in(job.organization_id):
        raise Http404("No such import.")
    return job


MAP_FIELDS_MAX = 200  # unmatched names read from one mapping form (the preview offers at most SUGGEST_MAX)


def _mapping_choices(post) -> tuple[dict[str, str], dict[str, str]]:
    """The mapping form's choices: `name_<i>` (a supplier name of the document) -> `vendor_<i>` (a suggested
    vendor's id, or "" to leave it unmapped) and `other_<i>` (any registry vendor's name as typed, or "").
    `<i>` is the name's row in the preview's table of all names, so the numbers have gaps (the matched names have
    no field); at most MAP_FIELDS_MAX names are read."""
    choices: dict[str, str] = {}
    typed: dict[str, str] = {}
    for key, name in post.items():
        suffix = key.removeprefix("name_")
        if suffix != key and suffix.isdigit():
            choices[name] = post.get(f"vendor_{suffix}", "")
            typed[name] = post.get(f"other_{suffix}", "")
            if len(choices) >= MAP_FIELDS_MAX:
                break
    return choices, typed


@org_view(write=True)
def bom_preview(request, token: str):
    job = _job(request, token)
    mapping = request.method == "POST" and "map" in request.POST
    form = ImportCommitForm(request.POST if request.method == "POST" and not mapping else None)
    unit_pk = job.report["equipment"]
    preview, refused, mapping_error = None, "", ""
    if job.status == ImportJob.Status.VALIDATING:  # a large upload being read by the worker: the page polls
        return render(request, "web/bom_preview.html", {"job": job, "reading": True, "unit_pk": unit_pk})
    if mapping:
        try:
            choices, typed = _mapping_choices(request.POST)
            preview = boms.bom_upload_resolve(job=job, choices=choices, typed=typed, actor=request.user)
        except ApplicationError as exc:
            mapping_error = exc.message
        else:
            messages.success(request, "Mapping applied: check the preview, then import.")
    elif request.method == "POST" and form.is_valid():
        try:
            document = boms.bom_upload_commit(job=job, actor=request.user)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"BOM version {document.version} imported: {document.component_count} "
                                      "components.")
            return redirect("web:equipment-detail", pk=unit_pk)
        job.refresh_from_db()
    if preview is None:
        try:
            preview = boms.bom_upload_preview(job=job, actor=request.user)
        except ApplicationError as exc:
            refused = exc.message
    return render(request, "web/bom_preview.html", {
        "job": job, "form": form, "preview": preview, "summary": preview.as_dict() if preview else None,
        "refused": refused, "mapping_error": mapping_error, "unit_pk": unit_pk,
        "vendor_names": organization_vendor_names(job.organization_id) if preview and preview.mappable else ()},
        status=400 if refused or mapping_error or form.errors else 200)


@org_view
def bom_export(request, pk: int):
    document = get_object_or_404(BomDocument.objects.select_related("equipment", "product_model"), pk=pk,
                                 organization_id__in=request.access.organization_ids)
    org_scope(request, document.organization_id)
    response = HttpResponse(bom_export_cyclonedx(document), content_type="application/vnd.cyclonedx+json")
    response["Content-Disposition"] = f'attachment; filename="bom-{document.pk}-v{document.version}.cdx.json"'
    return response


@org_view
def equipment_bom_export(request, pk: int):
    """Everything the registry knows about the unit's parts (its BOMs in force, its recorded components) as
    CycloneDX with the findings: any member of the unit's organisation, like the unit page."""
    unit = get_object_or_404(Equipment.objects.select_related("site"), pk=pk,
                             site__organization_id__in=request.access.organization_ids)
    org_scope(request, unit.site.organization_id)
    response = HttpResponse(equipment_export_cyclonedx(unit), content_type="application/vnd.cyclonedx+json")
    response["Content-Disposition"] = f'attachment; filename="unit-{unit.pk}-parts.cdx.json"'
    return response


__all__ = ["bom_export", "bom_preview", "bom_upload", "equipment_bom_export"]
