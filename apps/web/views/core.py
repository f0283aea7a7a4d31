"""Log-in helpers, the organisation switcher and the dashboard."""
from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .. import selectors
from ..access import org_select, org_view


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
    data = selectors.dashboard_data(organization_id=access.organization.pk)
    return render(request, "web/dashboard.html", data)
