from ..access import org_view
from .pending import pending


@org_view
def review_queue(request):
    return pending(request, "Review queue")


@org_view
def review_decide(request, pk: int):
    return pending(request, "Review queue")
