"""The base of the apps' output serializers, and the serializers of the cross-app endpoints (summary)."""
from rest_framework import serializers

from apps.common.choices import RiskStatus
from apps.remediation.choices import PlanStatus


# An output serializer: every field of `Meta.fields` is read-only (as `read_only_fields = fields`), so the schema
# never offers it as input; writes go through an input serializer and a service. (A comment, not a docstring:
# drf-spectacular would give the docstring to every subclass's schema component.)
class ReadOnlyModelSerializer(serializers.ModelSerializer):

    def get_extra_kwargs(self) -> dict:
        extra_kwargs = super().get_extra_kwargs()
        for name in self.Meta.fields:
            extra_kwargs.setdefault(name, {})["read_only"] = True
        return extra_kwargs


def _status_counts(name: str, choices) -> serializers.Serializer:
    fields = {value: serializers.IntegerField() for value, _ in choices}
    return type(name, (serializers.Serializer,), fields)()


class _Counts(serializers.Serializer):
    equipment = serializers.IntegerField(help_text="Equipment records (a record may be a batch: its quantity).")
    by_status = _status_counts("RiskStatusCounts", RiskStatus.choices)
    units = serializers.IntegerField(help_text="Sum of quantities (a batch counts its units): the unit of the "
                                               "dashboard and the Sites page.")
    units_by_status = _status_counts("RiskStatusUnitCounts", RiskStatus.choices)


class SummaryEquipmentSerializer(_Counts):
    flagged = serializers.IntegerField(help_text="Equipment whose status is not clear.")


class SummaryCategorySerializer(_Counts):
    category = serializers.CharField()


class SummarySiteSerializer(_Counts):
    site = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    organization = serializers.IntegerField()


class SummaryRemediationSerializer(serializers.Serializer):
    by_status = _status_counts("PlanStatusCounts", PlanStatus.choices)
    overdue = serializers.IntegerField()
    live = serializers.IntegerField()


class SummaryListVersionSerializer(serializers.Serializer):
    source = serializers.CharField()
    version_id = serializers.IntegerField()
    sha256 = serializers.CharField()
    activated_at = serializers.DateTimeField(allow_null=True)
    entry_count = serializers.IntegerField()


class SummarySerializer(serializers.Serializer):
    as_of = serializers.DateField(allow_null=True)
    generated_at = serializers.DateTimeField()
    organizations = serializers.ListField(child=serializers.IntegerField())
    equipment = SummaryEquipmentSerializer()
    by_category = SummaryCategorySerializer(many=True)
    by_site = SummarySiteSerializer(many=True)
    remediation = SummaryRemediationSerializer()
    list_versions = SummaryListVersionSerializer(many=True, help_text="The list versions in force then.")
