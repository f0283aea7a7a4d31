from ..access import org_view
from .pending import pending


@org_view
def import_upload(request):
    return pending(request, "Import")


@org_view
def import_template(request, kind, fmt):
    return pending(request, "Import")


@org_view
def import_preview(request, token):
    return pending(request, "Import")


@org_view
def import_progress(request, token):
    return pending(request, "Import")
