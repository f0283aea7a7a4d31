from ..access import org_view
from .pending import pending


@org_view
def sources(request):
    return pending(request, "Lists")


@org_view
def source_detail(request, pk: int):
    return pending(request, "Lists")


@org_view
def source_refresh(request, pk: int):
    return pending(request, "Lists")


@org_view
def run_progress(request, pk: int):
    return pending(request, "Lists")


@org_view
def version_detail(request, pk: int):
    return pending(request, "Lists")


@org_view
def version_decide(request, pk: int, decision: str):
    return pending(request, "Lists")
