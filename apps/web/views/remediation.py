from ..access import org_view
from .pending import pending


@org_view
def board(request):
    return pending(request, "Remediation board")


@org_view
def plan_detail(request, pk: int):
    return pending(request, "Remediation plan")


@org_view
def plan_action(request, pk: int, action: str):
    return pending(request, "Remediation plan")
