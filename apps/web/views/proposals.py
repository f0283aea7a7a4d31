"""Change proposals to shared vendor facts (apps.vendors.proposals): the organisation's proposals page (withdraw,
apply to its own view), the curators' queue (accept, reject: never their own), and the notices of accepted
changes that moved the organisation's units. Refusals come from the services and the policy."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.policies import Action, allowed, is_curator
from apps.common.exceptions import ApplicationError
from apps.remediation.choices import NotificationKind
from apps.remediation.models import FactChangeNotice
from apps.remediation.selectors import notification_list_for_user
from apps.remediation.uploads import stored_file_response
from apps.vendors import proposals
from apps.vendors.choices import ProposalStatus
from apps.vendors.models import ChangeProposal
from apps.vendors.selectors import (
    EVIDENCE_CONTENT_TYPES,
    proposal_source_visible,
    proposals_describe,
    proposals_visible,
)

from ..access import org_view
from ..forms import ReasonForm

PAGE_SIZE = 50


@org_view
def proposal_list(request):
    """Your organisations' proposals, and the other organisations' pending ones (without their source)."""
    ids = request.access.organization_ids
    status = request.GET.get("status", "")
    qs = proposals_visible(ids).select_related("vendor", "organization", "proposed_by").order_by("-id")
    if status in ProposalStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for proposal in proposals_describe(page):  # the template shows the source of its own only
        proposal.is_own = proposal_source_visible(proposal, organization_ids=ids, curator=False)
    return render(request, "web/proposal_list.html", {
        "page_obj": page, "own_ids": set(ids), "status": status, "statuses": ProposalStatus.choices,
        "may_curate": allowed(request.user, Action.CURATE, organization_id=None),
        "can_write_ids": {i for i in ids if request.access.can_write_in(i)},
    })


PROPOSAL_ACTIONS = {"withdraw", "apply", "unapply"}


@org_view(write=True)
@require_POST
def proposal_action(request, pk: int, action: str):
    """Withdraw a proposal of your organisation, or show / stop showing it in your organisation's view."""
    if action not in PROPOSAL_ACTIONS:
        raise Http404("Unknown action.")
    proposal = get_object_or_404(ChangeProposal, pk=pk, organization_id__in=request.access.organization_ids)
    try:
        if action == "withdraw":
            proposals.proposal_withdraw(proposal=proposal, actor=request.user)
            messages.success(request, f"Proposal #{proposal.pk} withdrawn.")
        else:
            proposals.proposal_apply_to_own_view(proposal=proposal, actor=request.user, apply=action == "apply")
            messages.success(request, f"Proposal #{proposal.pk} is {'now' if action == 'apply' else 'no longer'} "
                                      "applied to your organisation's view.")
    except ApplicationError as exc:
        if exc.code in ("not_found", "forbidden"):
            raise
        messages.error(request, exc.message)
    return redirect("web:proposal-list")


def _require_curator(request) -> None:
    if not allowed(request.user, Action.CURATE, organization_id=None):
        raise PermissionDenied("The proposal queue is for registry curators with a verified second factor "
                               "(Account, Verify).")


@org_view(policy=True)
def proposal_queue(request):
    """Every pending proposal, oldest first, with its source and evidence: the curators' queue."""
    _require_curator(request)
    qs = (ChangeProposal.objects.filter(status=ProposalStatus.PENDING)
          .select_related("vendor", "organization", "proposed_by").order_by("id"))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    proposals_describe(page)
    return render(request, "web/proposal_queue.html", {"page_obj": page, "form": ReasonForm()})


@org_view(policy=True)
@require_POST
def proposal_decide(request, pk: int, decision: str):
    """Accept or reject a pending proposal (curators; never the proposer: four eyes)."""
    if decision not in ("accept", "reject"):
        raise Http404("Unknown decision.")
    _require_curator(request)
    proposal = get_object_or_404(ChangeProposal, pk=pk)
    form = ReasonForm(request.POST)
    if decision == "accept":
        form.fields["reason"].required = False
    if form.is_valid():
        service = proposals.proposal_accept if decision == "accept" else proposals.proposal_reject
        try:
            service(proposal=proposal, actor=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            if exc.code in ("not_found", "forbidden"):
                raise
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Proposal #{proposal.pk} {decision}ed.")
            return redirect("web:proposal-queue")
    qs = (ChangeProposal.objects.filter(status=ProposalStatus.PENDING)
          .select_related("vendor", "organization", "proposed_by").order_by("id"))
    page = Paginator(qs, PAGE_SIZE).get_page(1)
    proposals_describe(page)
    return render(request, "web/proposal_queue.html", {"page_obj": page, "form": form, "failed": proposal},
                  status=400)


ALERTS_SHOWN = 20
# Alerts to one member that no other page shows (the digest and plan/waiver notices have their own pages).
ALERT_KINDS = [NotificationKind.WEBHOOK_DISABLED]


@org_view
def notifications(request):
    """Accepted changes to shared vendor facts that changed your organisations' units' status, and above them
    your own latest alerts (a webhook endpoint disabled after repeated failures): one query each."""
    qs = (FactChangeNotice.objects.filter(organization_id__in=request.access.organization_ids,
                                          state=FactChangeNotice.State.READY)
          .select_related("organization", "proposal__vendor").order_by("-computed_at", "-id"))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    alerts = list(notification_list_for_user(request.user).filter(
        kind__in=ALERT_KINDS, organization_id__in=request.access.organization_ids)
        .select_related("organization").order_by("-created_at", "-id")[:ALERTS_SHOWN])
    return render(request, "web/notifications.html", {"page_obj": page, "alerts": alerts})


@org_view
def proposal_evidence(request, pk: int):
    """The evidence file of a proposal: for its organisation's members and for curators only (404 otherwise)."""
    proposal = ChangeProposal.objects.filter(pk=pk).first()
    if proposal is None or not proposal.evidence or not proposal_source_visible(
            proposal, organization_ids=request.access.organization_ids, curator=is_curator(request.user)):
        raise Http404("No such evidence.")
    return stored_file_response(proposal.evidence, filename=proposal.evidence_name,
                                content_type=EVIDENCE_CONTENT_TYPES.get(proposal.evidence_extension,
                                                                        "application/octet-stream"))
