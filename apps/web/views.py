from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from apps.accounts.selectors import organization_list_for_user


@login_required
def dashboard(request):
    return render(request, "web/dashboard.html", {"organizations": organization_list_for_user(request.user)})
