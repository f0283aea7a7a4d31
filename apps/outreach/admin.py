"""Data calls in the admin site: viewable only. Calls are sent, answered, cancelled and followed up through
apps.outreach.services (web pages and the beat job); answers are append-only evidence."""
from django.contrib import admin

from apps.common.admin import ReadOnlyAdmin

from .models import DataCall, DataCallAnswer, DataCallResponse, DeclaredFinding


@admin.register(DataCall)
class DataCallAdmin(ReadOnlyAdmin):
    list_display = ["title", "organization", "template", "recipient_kind", "vendor", "site", "due_date", "state",
                    "sent_at", "answered_at", "valid_until"]
    list_filter = ["template", "state", "recipient_kind"]
    search_fields = ["title", "recipient_email", "vendor__name"]
    raw_id_fields = ["organization", "vendor", "site", "product_model", "renewal_of", "created_by", "equipment"]


@admin.register(DataCallResponse)
class DataCallResponseAdmin(ReadOnlyAdmin):
    list_display = ["data_call", "organization", "signer_name", "signer_title", "signed_on", "submitted_at", "sha256"]
    raw_id_fields = ["data_call", "organization", "token"]


@admin.register(DataCallAnswer)
class DataCallAnswerAdmin(ReadOnlyAdmin):
    list_display = ["response", "question", "value", "file_name", "file_sha256"]
    raw_id_fields = ["response", "data_call", "question"]


@admin.register(DeclaredFinding)
class DeclaredFindingAdmin(ReadOnlyAdmin):
    list_display = ["data_call", "organization", "vendor", "status", "opened_at", "closed_at"]
    list_filter = ["status"]
    raw_id_fields = ["organization", "data_call", "answer", "vendor", "closed_by", "equipment"]
