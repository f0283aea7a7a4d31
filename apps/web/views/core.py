"""Log-in helpers, the organisation switcher and the dashboard."""
from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import user_has_device

from apps.accounts.models import Organization
from apps.common.dates import end_of_day_utc
from apps.common.exceptions import ApplicationError
from apps.inventory.choices import EquipmentCategory
from apps.remediation.choices import PlanStatus
from apps.remediation.services import organization_profile_update
from apps.remediation.summary import summary_report
from apps.security.services import second_factor_verify

from .. import selectors, svg
from ..access import org_select, org_view
from ..forms import NOT_SUBMITTED, OrganizationProfileForm, SecondFactorForm, form_submit


@login_required
def second_factor(request):
    """Verify the authenticator code (TOTP) of a signed-in user: curator powers need a verified session
    (apps.accounts.policies). The device is enrolled by a superuser in the admin (TOTP devices)."""
    form = SecondFactorForm(request.POST or None)
    verified = bool(getattr(request.user, "is_verified", None) and request.user.is_verified())
    if request.method == "POST" and form.is_valid():
        try:
            ok = second_factor_verify(request=request, token=form.cleaned_data["otp_token"])
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            if ok:
                messages.success(request, "Second factor verified for this session.")
                nxt = request.POST.get("next", "")
                if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
                    nxt = "/"
                return redirect(nxt)
            form.add_error("otp_token", "That code is not valid for any of your authenticators.")
    has_device = user_has_device(request.user)
    return render(request, "web/second_factor.html", {
        "form": form, "verified": verified, "has_device": has_device, "next": request.GET.get("next", "")},
        status=400 if form.errors else 200)


@login_required
@require_POST
def org_switch(request):
    """Select another of the user's organisations (a session setting, allowed to every role)."""
    try:
        org_id = int(request.POST.get("organization", ""))
    except ValueError:
        return HttpResponseBadRequest("Choose an organisation.")
    if not org_select(request, org_id):
        return HttpResponseBadRequest("You are not a member of that organisation.")
    nxt = request.POST.get("next", "")
    # Detail pages of the previous organisation would 404 or switch back: go to the same kind of list.
    if (not nxt or not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()})
            or re.search(r"/\d+(/|$)", nxt)):
        nxt = "/"
    messages.info(request, "Organisation switched.")
    return redirect(nxt)


@org_view
def dashboard(request):
    access = request.access
    if access.organization is None:
        return render(request, "web/no_organization.html")
    data = selectors.dashboard_data(organization_id=access.organization.pk, user=request.user)
    return render(request, "web/dashboard.html", data)


@org_view
def as_of_report(request):
    """What was installed, flagged and waived at the end of a past day, and under which list versions: the
    auditors' summary (apps.remediation.summary.summary_report) from the row history, as a printable page."""
    from ..forms import AsOfForm

    org = request.access.organization
    if org is None:
        return render(request, "web/no_organization.html")
    form = AsOfForm(request.GET if "day" in request.GET else None)
    day = form.cleaned_data["day"] if form.is_bound and form.is_valid() else None
    report = summary_report(organization_ids=[org.pk], as_of=end_of_day_utc(day) if day else None)
    categories = dict(EquipmentCategory.choices)
    return render(request, "web/as_of_report.html", {
        "form": form, "day": day, "report": report,
        "statuses": [(s, svg.STATUS_LABELS[s], report["equipment"]["units_by_status"].get(s, 0),
                      report["equipment"]["by_status"].get(s, 0)) for s in selectors.RISK_STATUSES],
        "by_category": [(categories.get(row["category"], row["category"]), row) for row in report["by_category"]],
        "plans": [(PlanStatus(s).label, n) for s, n in report["remediation"]["by_status"].items()],
    })


@org_view(admin=True)
def organization_profile(request):
    """The selected organisation's profile: every member sees it and the rules it makes apply; its admins
    change it (the rules that bind it, and so its plans' dates, follow)."""
    org = request.access.organization
    form = OrganizationProfileForm(request.POST or None, instance=Organization.objects.get(pk=org.pk))
    if not request.access.is_admin:
        for field in form.fields.values():
            field.disabled = True
    saved = form_submit(request, form, lambda **data: organization_profile_update(
        organization=org, actor=request.user, **data))
    if saved is not NOT_SUBMITTED:
        messages.success(request, "Profile saved; the organisation's plans are re-evaluated.")
        return redirect("web:organization-profile")
    history = org.history.order_by("-history_date", "-history_id").select_related("history_user")[:20]
    return render(request, "web/organization_profile.html", {"form": form, "organization": org, "history": history})
