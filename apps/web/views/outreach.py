"""Data call pages: the officers' list, the form to send one from a template, one call with its answer, one
supplier's calls side by side; and the public answer page `/respond/<token>/` (no account: the signed
single-use link is the credential, rate-limited per address). Every write calls one apps.outreach service."""
from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from apps.common.exceptions import ApplicationError
from apps.inventory.models import Equipment, ProductModel, Site
from apps.outreach import selectors, services
from apps.outreach.choices import DataCallStatus, DataCallTemplate, QuestionKind, RecipientKind
from apps.outreach.models import DataCall, DataCallAnswer, DeclaredFinding
from apps.outreach.question_sets import DEFAULT_VALIDITY_DAYS
from apps.remediation.uploads import stored_file_response
from apps.security.backends import client_ip
from apps.vendors.models import Vendor
from apps.vendors.selectors import vendor_named

from ..access import org_view, require_write
from ..filtersets import DataCallListFilterSet
from ..forms import NOT_SUBMITTED, form_submit

PAGE_SIZE = 50
UNIT_CHOICES_MAX = 500


QUESTION_FLAGS = {"covered"}


def _parse_questions(text: str) -> list[dict]:
    """Custom questions, one a line: `kind: text` with kind yes_no, choice, text, date or file; a choice lists
    its options after `|`, separated by `;` (`choice: Update path? | online; on site`). A yes/no question marked
    `yes_no covered: text` is a covered-equipment question (a "yes" opens a declared finding on the call's units);
    the service refuses the mark on any other kind. An unknown mark is refused here, never ignored."""
    out = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        head, _, rest = line.partition(":")
        body, _, options = rest.partition("|")
        kind, *flags = head.split() or [""]
        unknown = set(flags) - QUESTION_FLAGS
        if unknown:
            raise forms.ValidationError(f"Line {n}: unknown mark {', '.join(sorted(unknown))!r} (only 'covered').")
        out.append({"kind": kind.strip(), "text": body.strip(), "covered": "covered" in flags,
                    "choices": [o.strip() for o in options.split(";") if o.strip()]})
    return out


class DataCallForm(forms.Form):
    template = forms.ChoiceField(choices=DataCallTemplate.choices)
    recipient_kind = forms.ChoiceField(label="Ask", choices=RecipientKind.choices, widget=forms.RadioSelect,
                                       initial=RecipientKind.VENDOR)
    vendor = forms.CharField(label="Supplier (vendor name or alias)", max_length=300, required=False)
    site = forms.TypedChoiceField(label="Site (for a site manager)", coerce=int, required=False, empty_value=None)
    product_model = forms.TypedChoiceField(label="Product model (component declaration)", coerce=int,
                                           required=False, empty_value=None)
    equipment_ids = forms.TypedMultipleChoiceField(label="Units the call is about", coerce=int, required=False,
                                                   help_text="A 'yes' on a covered-equipment question opens a "
                                                             "finding on these units.")
    recipient_name = forms.CharField(max_length=200, required=False)
    recipient_email = forms.EmailField(label="Recipient's e-mail")
    due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    validity_days = forms.IntegerField(label="Validity of the answer (days)", min_value=1, max_value=1098,
                                       required=False, help_text=(
                                           "Empty: the template's default ("
                                           f"{DEFAULT_VALIDITY_DAYS[DataCallTemplate.FAR_889]} days for a "
                                           "representation)."))
    title = forms.CharField(max_length=200, required=False)
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000)
    questions = forms.CharField(label="Custom questions (custom template only)", required=False, max_length=20000,
                                widget=forms.Textarea(attrs={"rows": 4}),
                                help_text="One a line: `yes_no: text`, `text: text`, `date: text`, `file: text`, or "
                                          "`choice: text | option; option`. Mark a covered-equipment question "
                                          "`yes_no covered: text`: a 'yes' opens a finding on the units below "
                                          "(they become restricted).")

    def __init__(self, *args, organization_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = [("", "-")] + list(
            Site.objects.filter(organization_id=organization_id).order_by("code").values_list("pk", "name")[:500])
        units = (Equipment.objects.filter(site__organization_id=organization_id)
                 .select_related("site", "product_model").order_by("site__code", "id")[:UNIT_CHOICES_MAX])
        self.fields["equipment_ids"].choices = [
            (u.pk, f"{u.site.code} · {u.product_model.model_number} · {u.serial_number or u.asset_tag or u.pk}")
            for u in units]
        models_used = (ProductModel.objects.filter(equipment__site__organization_id=organization_id).distinct()
                       .select_related("brand").order_by("brand__name", "model_number")[:500])
        self.fields["product_model"].choices = [("", "-")] + [(p.pk, f"{p.brand.name} {p.model_number}")
                                                             for p in models_used]

    def clean_vendor(self) -> Vendor | None:
        name = self.cleaned_data.get("vendor", "").strip()
        if not name:
            return None
        try:
            return vendor_named(name)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.fields.get("vendor", [exc.message])[0]) from None

    def clean_questions(self) -> list[dict] | None:
        return _parse_questions(self.cleaned_data.get("questions", "")) or None


@org_view
def data_call_list(request):
    """The organisation's data calls with filters (status today, template, supplier) and the due list."""
    org = request.access.organization
    today = timezone.localdate()
    calls = selectors.data_calls_visible(request.user, day=today).filter(organization=org)
    filterset = DataCallListFilterSet(request.GET or None, queryset=calls)
    if filterset.is_bound and not filterset.is_valid():
        calls = calls.none()
    elif filterset.is_bound:
        calls = filterset.qs
    status, template = request.GET.get("status", ""), request.GET.get("template", "")
    vendor_q = request.GET.get("q", "")[:100]
    page = Paginator(calls.order_by("-sent_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/data_call_list.html", {
        "page_obj": page, "statuses": DataCallStatus.choices, "templates": DataCallTemplate.choices,
        "status": status, "template": template, "q": vendor_q,
        "due": selectors.data_calls_due([org.pk], day=today),
        "findings": selectors.declared_findings_open([org.pk])[:20]})


@org_view(write=True)
def data_call_create(request):
    """Send a data call from a template (officers and admins)."""
    org = request.access.organization
    require_write(request)
    initial = {"due_date": timezone.localdate() + dt.timedelta(days=30), "template": request.GET.get("template"),
               "vendor": request.GET.get("vendor", "")[:300]}
    form = DataCallForm(request.POST or None, initial=initial, organization_id=org.pk)
    call = form_submit(request, form, lambda **data: services.data_call_create(
        user=request.user, organization_id=org.pk, **data))
    if call is not NOT_SUBMITTED:
        messages.success(request, f"Data call sent to {call.recipient_email}.")
        return redirect("web:data-call-detail", call.pk)
    return render(request, "web/data_call_form.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


def _own_call(request, pk: int) -> DataCall:
    return get_object_or_404(DataCall.objects.select_related("vendor", "site", "product_model", "created_by"),
                             pk=pk, organization_id__in=request.access.organization_ids)


@org_view
def data_call_detail(request, pk: int):
    """One call: what was asked, its status, its links (state only), and the signed answer with its files, the
    proposals made from it and the findings it opened."""
    call = _own_call(request, pk)
    today = timezone.localdate()
    response = getattr(call, "response", None) if call.state == "answered" else None
    answers = {a.question_id: a for a in response.answers.all()} if response else {}
    rows = [(q, answers.get(q.pk)) for q in call.questions.all()]
    from apps.vendors.models import ChangeProposal

    proposals = ChangeProposal.objects.filter(pk__in=response.proposal_ids) if response else []
    return render(request, "web/data_call_detail.html", {
        "call": call, "status": call.status_on(today), "rows": rows, "response": response,
        "proposals": proposals, "findings": call.declared_findings.prefetch_related("equipment"),
        "tokens": call.tokens.all(), "renewals": call.renewals.all(),
        "facts": selectors.data_call_declared_facts(call),
        "can_write": request.access.can_write_in(call.organization_id)})


@require_POST
@org_view(write=True)
def data_call_action(request, pk: int, action: str):
    """cancel (officers and admins)."""
    call = _own_call(request, pk)
    try:
        if action != "cancel":
            raise ApplicationError("Unknown action.", code="not_found")
        services.data_call_cancel(data_call=call.pk, user=request.user)
        messages.success(request, "Data call cancelled; its link no longer works.")
    except ApplicationError as exc:
        if exc.code in ("not_found", "forbidden"):
            raise
        messages.error(request, exc.message)
    return redirect("web:data-call-detail", call.pk)


@require_POST
@org_view(write=True)
def data_call_fact_apply(request, pk: int, fact: str):
    """Apply one declared product-model fact of a component declaration (officers and admins; the service
    refuses with the reason a fact already recorded or one the registry cannot hold)."""
    call = _own_call(request, pk)
    try:
        pm = services.data_call_fact_apply(data_call=call.pk, fact=fact, user=request.user)
        messages.success(request, f"{pm} updated from the declaration (audited, citing data call {call.pk}).")
    except ApplicationError as exc:
        if exc.code in ("not_found", "forbidden"):
            raise
        messages.error(request, exc.message)
    return redirect(reverse("web:data-call-detail", args=[call.pk]) + "#declared-facts")


@require_POST
@org_view(write=True)
def declared_finding_close(request, pk: int):
    finding = get_object_or_404(DeclaredFinding, pk=pk, organization_id__in=request.access.organization_ids)
    try:
        services.declared_finding_close(finding=finding.pk, user=request.user, note=request.POST.get("note", ""))
        messages.success(request, "Finding closed.")
    except ApplicationError as exc:
        if exc.code in ("not_found", "forbidden"):
            raise
        messages.error(request, exc.message)
    return redirect("web:data-call-detail", finding.data_call_id)


@org_view
def data_call_file(request, pk: int):
    """A file attached to an answer (members of the call's organisation)."""
    answer = DataCallAnswer.objects.filter(pk=pk, response__organization_id__in=request.access.organization_ids
                                           ).exclude(file="").first()
    if answer is None:
        raise Http404("No such file.")
    return stored_file_response(answer.file, filename=answer.file_name, content_type=answer.file_content_type)


@org_view
def data_call_supplier(request, pk: int):
    """One supplier's calls in the selected organisation: sent, answered, overdue, expired, and the answers side
    by side over time."""
    vendor = get_object_or_404(Vendor, pk=pk)
    summary = selectors.supplier_calls(organization_id=request.access.organization.pk, vendor_id=vendor.pk,
                                       day=timezone.localdate())
    return render(request, "web/data_call_supplier.html", {"vendor": vendor, "summary": summary})


# --- the public answer page ----------------------------------------------------------------------------------

def _respond_form(call: DataCall, data=None, files=None) -> forms.Form:
    """A form built from the call's questions (field name = question code) plus the signature."""
    form = forms.Form(data, files)
    for q in call.questions.all():
        label, help_text, required = q.text, q.help, q.required
        if q.kind == QuestionKind.YES_NO:
            field = forms.ChoiceField(choices=[("yes", "Yes"), ("no", "No")], widget=forms.RadioSelect)
        elif q.kind == QuestionKind.CHOICE:
            field = forms.ChoiceField(choices=[(c, c) for c in q.choices], widget=forms.RadioSelect)
        elif q.kind == QuestionKind.DATE:
            field = forms.CharField(widget=forms.DateInput(attrs={"type": "date"}))
        elif q.kind == QuestionKind.FILE:
            field = forms.FileField()
        else:
            field = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=services.TEXT_MAX)
        field.label, field.help_text, field.required = label, help_text, required
        form.fields[q.code] = field
    form.fields["signer_name"] = forms.CharField(label="Your name", max_length=200)
    form.fields["signer_title"] = forms.CharField(label="Your title", max_length=200)
    form.fields["signed_on"] = forms.DateField(label="Date", initial=timezone.localdate,
                                               widget=forms.DateInput(attrs={"type": "date"}))
    return form


def _refused(request, message: str, status: int):
    response = render(request, "web/data_call_refused.html", {"message": message, "status": status}, status=status)
    return _private(response)


def _private(response):
    response["Cache-Control"] = "no-store"
    # The link is the credential: never in a Referer header to another site. Not "no-referrer": Chromium then
    # sends `Origin: null` with the form, which Django's CSRF check rightly refuses.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
def data_call_respond(request, token: str):
    """The recipient's page (no login): shows only this call; refuses an invalid link (403), an expired, used
    or replaced one (410), and too many requests from one address (429). POST answers (CSRF-protected)."""
    try:
        services.respond_rate_check(client_ip(request))
    except ApplicationError as exc:
        return _refused(request, exc.message, 429)
    try:
        call = services.data_call_open(token=token)
    except services.LinkRefused as exc:
        return _refused(request, exc.message, exc.status)
    form = _respond_form(call, request.POST or None, request.FILES or None)
    if request.method == "POST":
        answers = {k: v for k, v in request.POST.items() if k in {q.code for q in call.questions.all()}}
        files = {k: request.FILES[k] for k in request.FILES}
        try:
            services.data_call_answer(token=token, answers=answers, files=files,
                                      signer_name=request.POST.get("signer_name", ""),
                                      signer_title=request.POST.get("signer_title", ""),
                                      signed_on=request.POST.get("signed_on", ""), ip=client_ip(request))
        except services.LinkRefused as exc:
            return _refused(request, exc.message, exc.status)
        except ApplicationError as exc:
            form.is_valid()
            for field, errs in (exc.fields or {"__all__": [exc.message]}).items():
                for e in errs:
                    form.add_error(field if field in form.fields else None, e)
            return _private(render(request, "web/data_call_respond.html", {"call": call, "form": form},
                                   status=400))
        return _private(render(request, "web/data_call_thanks.html", {"call": call}))
    return _private(render(request, "web/data_call_respond.html", {"call": call, "form": form}))
