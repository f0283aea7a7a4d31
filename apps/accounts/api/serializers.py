from rest_framework import serializers

from apps.accounts.choices import LegalKind
from apps.accounts.models import Organization
from apps.api.models import ApiToken
from apps.api.serializers import ReadOnlyModelSerializer


class OrganizationSerializer(ReadOnlyModelSerializer):
    country = serializers.CharField(source="country.code", read_only=True)
    role = serializers.SerializerMethodField(help_text="Your role in this organisation.")
    legal_kinds = serializers.ListField(child=serializers.CharField(), read_only=True,
                                        help_text="What the organisation is in law: " + ", ".join(LegalKind.values))

    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "kind", "country", "subdivision", "legal_kinds", "remediation_target_days",
                  "role"]

    def get_role(self, obj) -> str:
        return self.context.get("roles", {}).get(obj.id, "")


class OrganizationProfileInputSerializer(serializers.Serializer):
    """The profile an admin may change; every field optional (PATCH)."""

    country = serializers.CharField(max_length=2, required=False, allow_blank=True, help_text="ISO alpha-2.")
    subdivision = serializers.CharField(max_length=3, required=False, allow_blank=True,
                                        help_text="ISO 3166-2 part after the country: 'CA', 'ACT'.")
    legal_kinds = serializers.ListField(child=serializers.ChoiceField(choices=LegalKind.choices), required=False,
                                        max_length=len(LegalKind.values))
    remediation_target_days = serializers.IntegerField(min_value=1, max_value=3650, required=False, allow_null=True)

    def validate_country(self, value: str) -> str:
        return value.upper()


class ApiTokenSerializer(ReadOnlyModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "purpose", "created_at", "expires_at", "revoked_at", "last_used_at"]


class ApiTokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    expires_in_days = serializers.IntegerField(
        min_value=1, max_value=3650, required=False, allow_null=True, default=None,
        help_text="Days until the token expires; empty: API_TOKEN_DEFAULT_DAYS (90). At most API_TOKEN_MAX_DAYS "
                  "(365) is accepted.")
    purpose = serializers.ChoiceField(
        choices=ApiToken._meta.get_field("purpose").choices, required=False, default="",
        help_text="\"curate\": a token with the curator's powers, created only from a web session verified by the "
                  "second factor; it lives API_CURATOR_TOKEN_HOURS (8) and takes no expires_in_days.")


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    key = serializers.CharField(help_text="The key; shown only in this response.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]
