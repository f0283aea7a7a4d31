"""Webhooks pages: the organisation's endpoints (admins subscribe, change, rotate, disable, ping, delete) and
each endpoint's delivery log (admins redeliver). Every write calls one apps.integrations service."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.policies import Action, require
from apps.common.exceptions import ApplicationError
from apps.integrations import services
from apps.integrations.choices import SUBSCRIBABLE
from apps.integrations.models import WebhookDelivery, WebhookEndpoint
from apps.inventory.choices import EquipmentCategory
from apps.inventory.models import Site

from ..access import org_view

PAGE_SIZE = 50


class WebhookEndpointForm(forms.Form):
    url = forms.CharField(label="HTTPS URL", max_length=500)
    description = forms.CharField(max_length=200, required=False)
    event_types = forms.MultipleChoiceField(choices=[(c.value, c.label) for c in SUBSCRIBABLE],
                                            widget=forms.CheckboxSelectMultiple)
    filter_site_ids = forms.TypedMultipleChoiceField(label="Only these sites", coerce=int, required=False,
                                                     widget=forms.CheckboxSelectMultiple)
    filter_categories = forms.MultipleChoiceField(label="Only these categories", required=False,
                                                  choices=EquipmentCategory.choices,
                                                  widget=forms.CheckboxSelectMultiple)
    filter_statuses = forms.CharField(label="Only these statuses (comma-separated)", required=False,
                                      max_length=500)

    def __init__(self, *args, organization_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["filter_site_ids"].choices = list(
            Site.objects.filter(organization_id=organization_id).order_by("code").values_list("pk", "name")[:500])

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["filter_statuses"] = [s.strip() for s in data["filter_statuses"].split(",") if s.strip()]
        return data


def _own_endpoint(request, pk: int) -> WebhookEndpoint:
    return get_object_or_404(WebhookEndpoint, pk=pk, organization_id__in=request.access.organization_ids)


@org_view
def webhook_list(request):
    """The selected organisation's endpoints; admins subscribe a new one here."""
    org = request.access.organization
    if request.method == "POST":
        require(request.user, Action.ADMINISTER, organization_id=org.pk)  # before the form: 403, not its errors
    form = WebhookEndpointForm(request.POST or None, organization_id=org.pk)
    if request.method == "POST" and form.is_valid():
        endpoint = _form_saved(
            request, form, lambda data: services.webhook_endpoint_create(organization=org, user=request.user, **data),
            "Endpoint subscribed. Copy its secret into your receiver now.")
        if endpoint is not None:
            return redirect("web:webhook-detail", endpoint.pk)
    endpoints = WebhookEndpoint.objects.filter(organization=org).order_by("id")
    return render(request, "web/webhook_list.html", {"endpoints": endpoints, "form": form},
                  status=400 if request.method == "POST" else 200)


def _form_saved(request, form, save, success: str):
    """Call the service `save` with the form's data: its saved endpoint and a success message, or None with the
    refusal on the form (not found and forbidden still answer 404 and 403)."""
    try:
        endpoint = save(form.service_data())
    except ApplicationError as exc:
        if exc.code in ("not_found", "forbidden"):
            raise
        form.add_error(None, exc.message)
        return None
    messages.success(request, success)
    return endpoint


@org_view
def webhook_detail(request, pk: int):
    """One endpoint: its subscription, its delivery log (newest first), and for admins the actions and the
    form to change it."""
    endpoint = _own_endpoint(request, pk)
    is_admin = request.access.is_admin_in(endpoint.organization_id)
    if request.method == "POST":
        require(request.user, Action.ADMINISTER, endpoint)
    initial = {k: getattr(endpoint, k) for k in ("url", "description", "event_types", "filter_site_ids",
                                                  "filter_categories")}
    initial["filter_statuses"] = ", ".join(endpoint.filter_statuses)
    form = WebhookEndpointForm(request.POST or None, initial=initial, organization_id=endpoint.organization_id)
    if request.method == "POST" and form.is_valid() and _form_saved(
            request, form, lambda data: services.webhook_endpoint_update(endpoint=endpoint.pk, user=request.user,
                                                                         **data), "Endpoint saved.") is not None:
        return redirect("web:webhook-detail", endpoint.pk)
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-id")
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/webhook_detail.html",
                  {"endpoint": endpoint, "page_obj": page, "form": form, "is_admin": is_admin},
                  status=400 if request.method == "POST" else 200)


@require_POST
@org_view
def webhook_action(request, pk: int, verb: str):
    """rotate | enable | disable | ping | delete (admins)."""
    endpoint = _own_endpoint(request, pk)
    user = request.user
    try:
        if verb == "rotate":
            services.webhook_endpoint_rotate_secret(endpoint=endpoint.pk, user=user)
            messages.success(request, "New secret issued; the previous one signs too for a grace period.")
        elif verb in ("enable", "disable"):
            services.webhook_endpoint_set_enabled(endpoint=endpoint.pk, user=user, enabled=verb == "enable",
                                                  reason=request.POST.get("reason", ""))
            messages.success(request, f"Endpoint {verb}d.")
        elif verb == "ping":
            services.webhook_ping(endpoint=endpoint.pk, user=user)
            messages.success(request, "Test message queued; see the delivery log.")
        elif verb == "delete":
            services.webhook_endpoint_delete(endpoint=endpoint.pk, user=user)
            messages.success(request, "Endpoint deleted.")
            return redirect("web:webhook-list")
        else:
            raise ApplicationError("Unknown action.", code="not_found")
    except ApplicationError as exc:
        if exc.code in ("not_found", "forbidden"):
            raise
        messages.error(request, exc.message)
    return redirect("web:webhook-detail", endpoint.pk)


@require_POST
@org_view
def webhook_redeliver(request, pk: int):
    delivery = get_object_or_404(WebhookDelivery, pk=pk, organization_id__in=request.access.organization_ids)
    try:
        services.webhook_redeliver(delivery=delivery.pk, user=request.user)
        messages.success(request, f"Delivery {delivery.message_id} queued again.")
    except ApplicationError as exc:
        if exc.code in ("not_found", "forbidden"):
            raise
        messages.error(request, exc.message)
    return redirect("web:webhook-detail", delivery.endpoint_id)
