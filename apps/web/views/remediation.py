"""Remediation board: plans by status and deadline, a plan's steps, evidence, waivers and transitions.

Every write goes through one apps.remediation.services function, which checks the member's role again
(read-only roles are already refused with 403 by `org_view`)."""
from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.common.exceptions import ApplicationError
from apps.inventory.models import ImportJob
from apps.remediation import selectors as rem_selectors
from apps.remediation import services as rem
from apps.remediation.choices import NEXT_STATUS, Outcome, PlanStatus, WaiverStatus
from apps.remediation.models import Evidence, PlanStep, RemediationPlan, Waiver
from apps.remediation.uploads import evidence_file_response

from .. import selectors
from ..access import org_scope, org_view
from ..forms import NOT_SUBMITTED, ProjectionForm, form_add_errors, form_submit

BOARD_COLUMNS = (PlanStatus.OPEN, PlanStatus.PLANNED, PlanStatus.IN_PROGRESS, PlanStatus.WAIVED, PlanStatus.DONE)
COLUMN_LIMIT = 50


class TransitionForm(forms.Form):
    outcome = forms.ChoiceField(label="Outcome", required=False, choices=[("", "—")] + list(Outcome.choices))
    note = forms.CharField(label="Note", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class StepForm(forms.Form):
    title = forms.CharField(label="Step", max_length=200)
    due_on = forms.DateField(label="Due on", required=False, widget=forms.DateInput(attrs={"type": "date"}))


class EvidenceForm(forms.Form):
    file = forms.FileField(label="Evidence file", help_text="PDF, image, spreadsheet or text; checked by content.")
    note = forms.CharField(label="Note", required=False, max_length=500)
    step = forms.IntegerField(required=False, widget=forms.HiddenInput)


class WaiverForm(forms.Form):
    justification = forms.CharField(label="Justification", widget=forms.Textarea(attrs={"rows": 3}))
    compensating_controls = forms.CharField(label="Compensating controls", widget=forms.Textarea(attrs={"rows": 3}))
    expires_on = forms.DateField(label="Waiver expires on", widget=forms.DateInput(attrs={"type": "date"}))


class WaiverDecisionForm(forms.Form):
    note = forms.CharField(label="Decision note", required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class OwnerForm(forms.Form):
    """Who owns the plan: an officer or admin of the plan's organisation (plan_assign checks it again)."""

    owner = forms.ModelChoiceField(label="Owner", queryset=None, required=False, empty_label="No owner")

    def __init__(self, *args, organization_id: int, **kwargs):
        from apps.accounts.choices import WRITE_ROLES
        from apps.accounts.selectors import organization_member_list

        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = organization_member_list(organization_id, roles=WRITE_ROLES)


class DeadlineForm(forms.Form):
    deadline = forms.DateField(label="New deadline", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label="Reason for the change", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


@org_view
def board(request):
    access = request.access
    today = selectors.today_default(None)
    org_id = access.organization.pk if access.organization else None
    plans = rem_selectors.plan_list_for_user(request.user, organization_id=org_id)
    overdue_only = request.GET.get("overdue") == "true"
    if overdue_only:
        plans = plans.overdue(today)
    import_job = None
    if request.GET.get("import_job"):  # the plans an import's units got (its done page links here)
        raw = request.GET["import_job"]
        import_job = ImportJob.objects.filter(pk=int(raw), organization_id=org_id).only(
            "pk", "token", "filename").first() if raw.isdigit() and len(raw) < 19 and org_id else None
        if import_job is None:
            raise Http404("No such import.")
        plans = plans.filter(equipment__import_job=import_job)
    columns = []
    for status in BOARD_COLUMNS:
        qs = plans.filter(status=status)
        if status == PlanStatus.DONE:
            qs = qs.order_by("-closed_at", "-id")
        columns.append({"status": status, "label": PlanStatus(status).label, "plans": list(
            qs.select_related("site", "rule", "equipment__product_model__brand")[:COLUMN_LIMIT])})
    # Each card's "overdue by n days" / "n days left" / "waived until": computed once, not in the template.
    timings = rem_selectors.plan_timings([p for col in columns for p in col["plans"]], today=today)
    for col in columns:
        col["cards"] = [(p, timings[p.pk]) for p in col["plans"]]
    counts = rem_selectors.plan_board(user=request.user, organization_id=org_id, today=today)
    awaiting = list(rem_selectors.waivers_awaiting_decision(request.user).filter(organization_id=org_id)) \
        if org_id else []
    return render(request, "web/remediation_board.html", {
        "columns": columns, "counts": counts, "today": today, "overdue_only": overdue_only, "awaiting": awaiting,
        "import_job": import_job,
        "limit": COLUMN_LIMIT, "burndown": selectors.burndown_chart(organization_id=org_id, today=today)
        if org_id else None,
    })


def _plan(request, pk: int) -> RemediationPlan:
    plan = rem_selectors.plan_get_for_user(request.user, pk)
    if plan is None:
        raise Http404("No such plan in your organisations.")
    org_scope(request, plan.organization_id)
    return plan


def _plan_context(request, plan: RemediationPlan, **forms_) -> dict:
    access = request.access
    waivers = list(plan.waivers.select_related("requested_by", "decided_by").order_by("-requested_at"))
    next_status = NEXT_STATUS.get(plan.status)
    today = selectors.today_default(None)
    ctx = {
        # who did each step and uploaded each file: joined, not one query per row
        "plan": plan, "steps": list(plan.steps.select_related("done_by").order_by("position")),
        "evidence": list(plan.evidence.select_related("uploaded_by").order_by("-uploaded_at")), "waivers": waivers,
        "history": rem_selectors.plan_history(plan),
        "next_status": next_status, "next_label": PlanStatus(next_status).label if next_status else "",
        "today": today,
        "timing": rem_selectors.plan_timings([plan], today=today)[plan.pk],
        "header": rem_selectors.plan_header(plan, today=today),
        "can_write": access.can_write_in(plan.organization_id),
        "is_admin": access.is_admin_in(plan.organization_id),
        "pending_waiver": next((w for w in waivers if w.status == WaiverStatus.REQUESTED), None),
        # Prefixes keep the ids of the page's forms distinct (two "note" fields would share a label target).
        "transition_form": TransitionForm(prefix="advance"), "step_form": StepForm(prefix="step"),
        "evidence_form": EvidenceForm(prefix="evidence"), "waiver_form": WaiverForm(prefix="waiver"),
        "decision_form": WaiverDecisionForm(prefix="decision"), "deadline_form": DeadlineForm(prefix="deadline"),
        "owner_form": OwnerForm(prefix="owner", organization_id=plan.organization_id,
                                initial={"owner": plan.owner_id}),
    }
    ctx.update(forms_)
    return ctx


@org_view
def plan_detail(request, pk: int):
    plan = _plan(request, pk)
    return render(request, "web/plan_detail.html", _plan_context(request, plan))


# action -> the form on the plan page that shows its errors
ACTIONS = {"advance": "transition_form", "step": "step_form", "step-done": "step_form", "evidence": "evidence_form",
           "waiver": "waiver_form", "waiver-approve": "decision_form", "waiver-reject": "decision_form",
           "deadline": "deadline_form", "owner": "owner_form"}


@org_view(write=True)
@require_POST
def plan_action(request, pk: int, action: str):
    if action not in ACTIONS:
        raise Http404("Unknown action.")
    plan = _plan(request, pk)
    user = request.user
    ctx_key = ACTIONS[action]
    form: forms.Form = forms.Form(request.POST)
    done = ""
    try:
        if action == "advance":
            form = TransitionForm(request.POST, prefix="advance")
            if form.is_valid():
                target = NEXT_STATUS.get(plan.status)
                if target is None:
                    raise ApplicationError("This plan cannot move forward.")
                rem.plan_transition(plan=plan, to_status=target, user=user,
                                    outcome=form.cleaned_data["outcome"], note=form.cleaned_data["note"])
                done = f"Plan moved to {PlanStatus(target).label}."
        elif action == "step":
            form = StepForm(request.POST, prefix="step")
            if form.is_valid():
                rem.plan_step_add(plan=plan, title=form.cleaned_data["title"], due_on=form.cleaned_data["due_on"],
                                  user=user)
                done = "Step added."
        elif action == "step-done":
            step = PlanStep.objects.filter(plan=plan, pk=request.POST.get("step")).first()
            if step is None:
                raise Http404("No such step.")
            rem.plan_step_complete(step=step, user=user)
            done = "Step done."
        elif action == "evidence":
            form = EvidenceForm(request.POST, request.FILES, prefix="evidence")
            if form.is_valid():
                step = PlanStep.objects.filter(plan=plan, pk=form.cleaned_data["step"]).first() \
                    if form.cleaned_data["step"] else None
                rem.evidence_upload(plan=plan, file=form.cleaned_data["file"], step=step,
                                    note=form.cleaned_data["note"], user=user)
                done = "Evidence uploaded."
        elif action == "waiver":
            form = WaiverForm(request.POST, prefix="waiver")
            if form.is_valid():
                rem.waiver_request(plan=plan, user=user, **form.cleaned_data)
                done = "Waiver requested; another administrator must decide it."
        elif action in ("waiver-approve", "waiver-reject"):
            form = WaiverDecisionForm(request.POST, prefix="decision")
            waiver = Waiver.objects.filter(plan=plan, pk=request.POST.get("waiver")).first()
            if waiver is None:
                raise Http404("No such waiver.")
            if form.is_valid():
                if action == "waiver-approve":
                    rem.waiver_approve(waiver=waiver, user=user, note=form.cleaned_data["note"])
                    done = "Waiver approved: the plan's clock is stopped until it expires."
                else:
                    rem.waiver_reject(waiver=waiver, user=user, note=form.cleaned_data["note"])
                    done = "Waiver rejected."
        elif action == "owner":
            form = OwnerForm(request.POST, prefix="owner", organization_id=plan.organization_id)
            if form.is_valid():
                owner = form.cleaned_data["owner"]
                rem.plan_assign(plan=plan, owner=owner, user=user)
                done = f"Owner set: {owner}." if owner else "Owner removed."
        else:  # deadline
            form = DeadlineForm(request.POST, prefix="deadline")
            if form.is_valid():
                rem.plan_change_deadline(plan=plan, user=user, **form.cleaned_data)
                done = "Deadline changed."
    except ApplicationError as exc:
        if exc.code == "not_found":
            raise Http404(exc.message) from exc
        form_add_errors(form, exc)
    if done:
        messages.success(request, done)
        return redirect("web:plan-detail", pk=plan.pk)
    plan = _plan(request, pk)
    return render(request, "web/plan_detail.html", _plan_context(request, plan, **{ctx_key: form}), status=400)


@org_view
def evidence_download(request, pk: int):
    ev = Evidence.objects.select_related("plan").filter(pk=pk, plan__organization_id__in=request.access.organization_ids
                                                        ).first()
    if ev is None:
        raise Http404("No such evidence.")
    return evidence_file_response(ev)


__all__ = ["dt"]


# --- projection: which units will be non-compliant on a future day ------------------------------------------

PROJECTION_PAGE = 50


@org_view(write=True)
def projection(request):
    """Ask the question (officers, admins: a report is computed in the background) and see the reports."""
    org = request.access.organization
    default_on = dt.date(timezone.localdate().year + 1, 1, 1)
    form = ProjectionForm(request.POST or None, organization=org, initial={"on": default_on})
    report = form_submit(request, form, lambda **data: rem.projection_request(organization=org, user=request.user,
                                                                             **data))
    if report is not NOT_SUBMITTED:
        return redirect("web:projection-report", pk=report.pk)
    reports = rem_selectors.projection_reports(organization_ids=[org.pk]) if org else []
    return render(request, "web/projection.html", {"form": form, "reports": reports})


@org_view
def projection_report(request, pk: int):
    report = get_object_or_404(rem_selectors.projection_reports(organization_ids=request.access.organization_ids),
                               pk=pk)
    org_scope(request, report.organization_id)
    if request.htmx and not request.htmx.boosted:  # the progress bar polling
        if report.running:
            return render(request, "web/projection_progress.html", {"report": report})
        finished = HttpResponse(status=204)
        finished["HX-Redirect"] = request.path
        return finished
    page = Paginator(report.lines.order_by("deadline", "id"), PROJECTION_PAGE).get_page(request.GET.get("page"))
    rows = rem_selectors.projection_lines_with_units(list(page.object_list))
    return render(request, "web/projection_report.html", {
        "report": report, "page_obj": page, "rows": rows,
        "by_rule": rem_selectors.projection_summary_by_rule(report.summary)})
