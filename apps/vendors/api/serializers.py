"""Vendor API serializers. Vendors are shared reference data; related rows come from prefetches (or, for
`as_of`, from a per-page map of historical rows) so a page costs a constant number of queries."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.api.fields import CountryCodeField
from apps.api.serializers import ReadOnlyModelSerializer
from apps.vendors.choices import AliasKind, IdentifierScheme, OwnershipKind, ProposalKind, ProposalStatus
from apps.vendors.models import OemRelation, Ownership, Vendor
from apps.vendors.selectors import proposal_source_visible


class VendorAliasSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=300)
    kind = serializers.ChoiceField(choices=AliasKind.choices, default=AliasKind.TRADE_NAME)
    language = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")


class VendorIdentifierSerializer(serializers.Serializer):
    scheme = serializers.ChoiceField(choices=IdentifierScheme.choices)
    value = serializers.CharField(max_length=64)
    country = CountryCodeField(required=False, allow_blank=True, default="")

    def to_representation(self, instance):
        return {"scheme": instance.scheme, "value": instance.value, "country": str(instance.country or "")}


class VendorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    country_of_incorporation = serializers.SerializerMethodField()
    country_of_headquarters = serializers.SerializerMethodField()
    website = serializers.CharField()
    description = serializers.CharField()
    aliases = serializers.SerializerMethodField()
    identifiers = serializers.SerializerMethodField()
    risk_status = serializers.SerializerMethodField(
        help_text="clear, potential_match, restricted or prohibited; with as_of, from the findings open then."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_country_of_incorporation(self, obj) -> str:
        return str(obj.country_of_incorporation or "")

    def get_country_of_headquarters(self, obj) -> str:
        return str(obj.country_of_headquarters or "")

    def _related(self, obj, name: str):
        by_vendor = self.context.get(f"{name}_by_vendor")
        return by_vendor.get(obj.id, []) if by_vendor is not None else getattr(obj, name).all()

    @extend_schema_field(VendorAliasSerializer(many=True))
    def get_aliases(self, obj):
        return [{"name": a.name, "kind": a.kind, "language": a.language} for a in self._related(obj, "aliases")]

    @extend_schema_field(VendorIdentifierSerializer(many=True))
    def get_identifiers(self, obj):
        return [VendorIdentifierSerializer().to_representation(i) for i in self._related(obj, "identifiers")]

    def get_risk_status(self, obj) -> str:
        by_vendor = self.context.get("risk_status_by_vendor")
        if by_vendor is not None:
            return by_vendor.get(obj.id, "clear")
        return getattr(obj, "view_risk_status", None) or getattr(obj, "risk_status", "clear")


class VendorInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=300)
    country_of_incorporation = CountryCodeField(required=False, allow_blank=True)
    country_of_headquarters = CountryCodeField(required=False, allow_blank=True)
    website = serializers.URLField(required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    aliases = VendorAliasSerializer(many=True, required=False)
    identifiers = VendorIdentifierSerializer(many=True, required=False)


class VendorUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=300, required=False)
    country_of_incorporation = CountryCodeField(required=False, allow_blank=True)
    country_of_headquarters = CountryCodeField(required=False, allow_blank=True)
    website = serializers.URLField(required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)


class OwnershipSerializer(ReadOnlyModelSerializer):
    owner_name = serializers.CharField(source="owner.name", read_only=True)
    owned_name = serializers.CharField(source="owned.name", read_only=True)

    class Meta:
        model = Ownership
        fields = ["id", "owner", "owner_name", "owned", "owned_name", "share_percent", "kind", "start_date",
                  "end_date", "source", "evidence_note", "created_at", "updated_at"]


class OwnershipInputSerializer(serializers.Serializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=Vendor.objects.all())
    owned = serializers.PrimaryKeyRelatedField(queryset=Vendor.objects.all())
    share_percent = serializers.DecimalField(max_digits=6, decimal_places=3, min_value=0, max_value=100,
                                             required=False, allow_null=True, default=None,
                                             help_text="Leave empty (null) when the share is not published.")
    kind = serializers.ChoiceField(choices=OwnershipKind.choices, default=OwnershipKind.SHAREHOLDING)
    start_date = serializers.DateField(required=False, allow_null=True, default=None)
    end_date = serializers.DateField(required=False, allow_null=True, default=None)
    source = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    evidence_note = serializers.CharField(required=False, allow_blank=True, default="")


class OemRelationSerializer(ReadOnlyModelSerializer):
    brand_name = serializers.CharField(source="brand.name", read_only=True)
    manufacturer_name = serializers.CharField(source="manufacturer.name", read_only=True)

    class Meta:
        model = OemRelation
        fields = ["id", "brand", "brand_name", "manufacturer", "manufacturer_name", "category", "confidence",
                  "source", "notes", "created_at", "updated_at"]


PROPOSED_HELP = ("True: the link is in your organisation's view by its own pending change proposal (applied to its "
                 "own view, not yet decided by a curator); nobody else's view has it.")


class OwnershipStepSerializer(serializers.Serializer):
    ownership_id = serializers.IntegerField(
        allow_null=True, help_text="The recorded link (ownerships/); null for a link your organisation proposes "
                                   "adding (proposed: true). A link it proposes changing keeps its id.")
    owner_id = serializers.IntegerField()
    owner_name = serializers.CharField()
    kind = serializers.ChoiceField(choices=OwnershipKind.choices)
    share_percent = serializers.DecimalField(max_digits=6, decimal_places=3, allow_null=True,
                                             help_text="null: the share is not published (unknown).")
    proposed = serializers.BooleanField(help_text=PROPOSED_HELP)


PATH_SHARE_HELP = ("Path share (arithmetic, not a regime test): the shares multiplied along the path; null if a "
                   "share is unknown. No sanctions regime multiplies shares: see regime_tests for the verdicts.")


class OwnershipPathSerializer(serializers.Serializer):
    steps = OwnershipStepSerializer(many=True)
    path_share_percent = serializers.DecimalField(max_digits=9, decimal_places=3, allow_null=True,
                                                  help_text=PATH_SHARE_HELP)
    text = serializers.CharField(help_text="The path in words, from the vendor up to the ultimate parent.")


class UltimateParentSerializer(serializers.Serializer):
    vendor_id = serializers.IntegerField()
    name = serializers.CharField()
    path_share_percent = serializers.DecimalField(
        max_digits=9, decimal_places=3, allow_null=True,
        help_text="Sum of the parent's path shares (arithmetic, not a regime test); null if one is unknown.")
    path_count = serializers.IntegerField()


class OwnershipStakeSerializer(serializers.Serializer):
    owner_id = serializers.IntegerField()
    owner_name = serializers.CharField()
    kind = serializers.ChoiceField(choices=OwnershipKind.choices)
    share_percent = serializers.DecimalField(max_digits=6, decimal_places=3, allow_null=True)
    counted = serializers.CharField(help_text="blocked (counted in full), pending (owner's match awaits review), "
                                    "control, unknown (share not published), or empty: not counted.")
    owner_status = serializers.CharField(help_text="Why the owner's stake counts or not, in words.")
    proposed = serializers.BooleanField(help_text=PROPOSED_HELP)


class OwnershipRegimeTestSerializer(serializers.Serializer):
    source = serializers.CharField()
    source_name = serializers.CharField()
    regime = serializers.CharField()
    regime_label = serializers.CharField()
    propagation = serializers.CharField()
    propagation_label = serializers.CharField()
    citation = serializers.CharField()
    threshold_percent = serializers.DecimalField(max_digits=6, decimal_places=3)
    threshold_inclusive = serializers.BooleanField()
    control_counts = serializers.BooleanField()
    in_force = serializers.BooleanField()
    counted_percent = serializers.DecimalField(
        max_digits=9, decimal_places=3,
        help_text="Aggregate of stakes held directly by listed (blocked) owners or through owners that are "
                  "themselves caught; stakes through owners that are not caught do not count.")
    pending_percent = serializers.DecimalField(max_digits=9, decimal_places=3)
    unknown_share = serializers.BooleanField()
    verdict = serializers.ChoiceField(choices=["listed", "caught", "review", "not_caught", "not_in_force"])
    verdict_label = serializers.CharField()
    verdict_text = serializers.CharField()
    stakes = OwnershipStakeSerializer(many=True)


class OwnershipChainSerializer(serializers.Serializer):
    """The ownership chain and regime tests in the caller's view (`organization`, see the API docs): with the
    links its organisation's pending proposals apply to its own view, without those it proposes removing."""

    vendor_id = serializers.IntegerField()
    vendor_name = serializers.CharField()
    as_of = serializers.DateField()
    paths = OwnershipPathSerializer(many=True)
    ultimate_parents = UltimateParentSerializer(many=True)
    regime_tests = OwnershipRegimeTestSerializer(
        many=True, help_text="Each list's ownership rule applied to the vendor, as screening applies it (OFAC: "
                             "aggregate of blocked persons' stakes, direct or through blocked entities, >= 50%).")
    truncated = serializers.BooleanField(help_text="True when the graph had too many paths to list them all.")
    explanation = serializers.CharField()


# --- change proposals (apps.vendors.proposals) ---------------------------------------------------------------
class FactSourceInputSerializer(serializers.Serializer):
    """Where a change to a shared fact comes from; kept on the proposal (or, for a curator, on the fact)."""

    source_url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")
    source_document = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    organization = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1,
        help_text="The proposing organisation (an officer or admin there); default: the first where you write.")
    apply_to_own_view = serializers.BooleanField(
        required=False, default=True,
        help_text="While pending, your organisation sees the change in its view. Ownership and OEM changes only: "
                  "name, alias and identifier changes take effect in screening only once accepted.")


SOURCE_FIELDS = tuple(FactSourceInputSerializer().fields)


class VendorUpdateProposalSerializer(VendorUpdateSerializer, FactSourceInputSerializer):
    """PATCH of a vendor: a curator's is written at once (200); anyone else's becomes a proposal (202)."""


class OwnershipProposalInputSerializer(OwnershipInputSerializer, FactSourceInputSerializer):
    """A new ownership link: a curator's is written at once (201); anyone else's becomes a proposal (202)."""


class ProposalCreateSerializer(FactSourceInputSerializer):
    kind = serializers.ChoiceField(choices=ProposalKind.choices)
    vendor = serializers.PrimaryKeyRelatedField(queryset=Vendor.objects.all(),
                                                help_text="The vendor the fact is about (the owned one, the brand).")
    target = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1,
                                      help_text="The alias, identifier, ownership link or OEM relation changed or "
                                                "removed (its id).")
    payload = serializers.JSONField(required=False, default=dict,
                                    help_text="The new values, an object by field (see docs/api.md, Change "
                                              "proposals); a JSON string in a multipart form.")
    evidence = serializers.FileField(required=False, allow_null=True, default=None,
                                     help_text="PDF, image, text/CSV, Word or Excel; type checked by content.")

    def validate_payload(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("An object of field names and values.")
        return value


class ProposalDecisionSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class ProposalApplySerializer(serializers.Serializer):
    apply = serializers.BooleanField(
        help_text="True: your organisation's view shows the pending change (ownership and OEM changes; a name, "
                  "alias or identifier change answers 400: it takes effect in screening only once accepted).")


class ChangeProposalSerializer(serializers.Serializer):
    """A proposal. Members of other organisations see that a shared fact has a pending change, not who
    proposed it nor its source or evidence (`restricted` true, those fields empty)."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ProposalKind.choices)
    status = serializers.ChoiceField(choices=ProposalStatus.choices)
    vendor = serializers.IntegerField(source="vendor_id")
    vendor_name = serializers.CharField(source="vendor.name")
    target = serializers.IntegerField(source="target_id", allow_null=True)
    payload = serializers.DictField()
    base = serializers.DictField()
    restricted = serializers.SerializerMethodField(
        help_text="True when you see another organisation's proposal: proposer, source and evidence hidden.")
    organization = serializers.SerializerMethodField()
    proposed_by = serializers.SerializerMethodField()
    source_url = serializers.SerializerMethodField()
    source_document = serializers.SerializerMethodField()
    evidence_name = serializers.SerializerMethodField()
    evidence_sha256 = serializers.SerializerMethodField()
    applies_to_own_view = serializers.BooleanField()
    may_apply_to_own_view = serializers.BooleanField(
        help_text="False for name, alias and identifier changes: they feed matching, shared by every view, so they "
                  "take effect in screening only once a curator accepts them.")
    screening_effect = serializers.CharField(help_text="What the proposal does to screening while pending, in words.")
    decided_by = serializers.IntegerField(source="decided_by_id", allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def _full(self, obj) -> bool:
        full_ids = self.context.get("full_view_organization_ids")
        return proposal_source_visible(obj, organization_ids=full_ids or (), curator=full_ids is None)

    def get_restricted(self, obj) -> bool:
        return not self._full(obj)

    def get_organization(self, obj) -> int | None:
        return obj.organization_id if self._full(obj) else None

    def get_proposed_by(self, obj) -> int | None:
        return obj.proposed_by_id if self._full(obj) else None

    def get_source_url(self, obj) -> str:
        return obj.source_url if self._full(obj) else ""

    def get_source_document(self, obj) -> str:
        return obj.source_document if self._full(obj) else ""

    def get_evidence_name(self, obj) -> str:
        return obj.evidence_name if self._full(obj) else ""

    def get_evidence_sha256(self, obj) -> str:
        return obj.evidence_sha256 if self._full(obj) else ""
