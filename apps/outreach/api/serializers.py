"""Read-only serializers of the data calls for auditors: the call, its questions, the signed answer (files by
name, type, size and SHA-256, never their content), the declared findings."""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.outreach.choices import DataCallStatus
from apps.outreach.models import DataCall, DataCallAnswer, DataCallQuestion, DataCallResponse, DeclaredFinding


class DataCallQuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = DataCallQuestion
        fields = ["code", "position", "kind", "text", "help", "choices", "required", "covered", "fact"]
        read_only_fields = fields


class DataCallSerializer(serializers.ModelSerializer):
    """A data call as it is (or was at `as_of`): `status` is pending, overdue, answered, expired or cancelled on
    that day; `response` the id of its signed answer (when answered by then)."""

    status = serializers.SerializerMethodField()
    response = serializers.SerializerMethodField()
    equipment = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    questions = DataCallQuestionSerializer(many=True, read_only=True)

    class Meta:
        model = DataCall
        fields = ["id", "organization", "template", "title", "message", "recipient_kind", "vendor", "site",
                  "product_model", "equipment", "recipient_name", "recipient_email", "due_date", "validity_days",
                  "status", "state", "sent_at", "answered_at", "valid_until", "reminded_at", "cancelled_at",
                  "renewal_of", "created_by", "response", "questions"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=DataCallStatus.choices))
    def get_status(self, obj: DataCall) -> str:
        return getattr(obj, "status_on", None) or obj.status_on(self.context["day"])

    @extend_schema_field(OpenApiTypes.INT)
    def get_response(self, obj: DataCall) -> int | None:
        as_of = self.context.get("as_of")
        response = getattr(obj, "response", None) if obj.state == "answered" else None
        if response is None or (as_of is not None and response.submitted_at > as_of):
            return None
        return response.pk

    def to_representation(self, obj):
        data = super().to_representation(obj)
        as_of = self.context.get("as_of")
        if as_of is not None:  # what was known then: no answer, reminder or cancellation from after that moment
            for field, stamp in (("answered_at", obj.answered_at), ("reminded_at", obj.reminded_at),
                                 ("cancelled_at", obj.cancelled_at)):
                if stamp is not None and stamp > as_of:
                    data[field] = None
                    if field == "answered_at":
                        data["valid_until"] = None
                        data["state"] = "sent"
                    if field == "cancelled_at":
                        data["state"] = "sent"
        return data


class DataCallAnswerSerializer(serializers.ModelSerializer):
    question = serializers.CharField(source="question.code", read_only=True)

    class Meta:
        model = DataCallAnswer
        fields = ["id", "question", "value", "file_name", "file_content_type", "file_size", "file_sha256"]
        read_only_fields = fields


class DataCallResponseSerializer(serializers.ModelSerializer):
    """A signed answer (append-only evidence): who signed, when, `sha256` as on the audit chain, the answers, and
    the change proposals made from its declared facts."""

    answers = DataCallAnswerSerializer(many=True, read_only=True)
    vendor = serializers.IntegerField(source="data_call.vendor_id", read_only=True, allow_null=True)

    class Meta:
        model = DataCallResponse
        fields = ["id", "organization", "data_call", "vendor", "signer_name", "signer_title", "signed_on",
                  "submitted_at", "sha256", "proposal_ids", "answers"]
        read_only_fields = fields


class DeclaredFindingSerializer(serializers.ModelSerializer):
    """A finding opened by a supplier's "yes" on a covered-equipment question, on the call's units; `risk_status`:
    what the units take while it is open."""

    equipment = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    response = serializers.IntegerField(source="answer.response_id", read_only=True)

    class Meta:
        model = DeclaredFinding
        fields = ["id", "organization", "data_call", "response", "answer", "vendor", "equipment", "text", "risk_status",
                  "status", "opened_at", "closed_at", "closed_by", "close_note"]
        read_only_fields = fields

    def to_representation(self, obj):
        data = super().to_representation(obj)
        as_of = self.context.get("as_of")
        if as_of is not None and obj.closed_at is not None and obj.closed_at > as_of:  # still open then
            data.update(status="open", closed_at=None, closed_by=None, close_note="")
        return data
