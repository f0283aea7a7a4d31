from ..access import org_view
from .pending import pending


@org_view
def check(request):
    return pending(request, "Pre-purchase check")


@org_view
def check_record(request, pk: int):
    return pending(request, "Pre-purchase check")
