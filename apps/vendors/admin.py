from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from apps.common.admin import ReadOnlyAdmin, ReadOnlyTabularInline

from .models import ChangeProposal, OemRelation, Ownership, Vendor, VendorAlias, VendorIdentifier


class VendorAliasInline(ReadOnlyTabularInline):
    model = VendorAlias


class VendorIdentifierInline(ReadOnlyTabularInline):
    model = VendorIdentifier


class OwnerInline(ReadOnlyTabularInline):
    model = Ownership
    fk_name = "owned"
    autocomplete_fields = ["owner"]
    verbose_name = "owner"
    verbose_name_plural = "owned by"


# Vendor facts are shared by every organisation and feed screening: they change through apps.vendors.services
# and proposals only (audit chain, re-screening of the vendors touched, curators' review). The admin shows them
# and their history; an edit here would change verdicts without re-screening or a trace on the chain.
@admin.register(Vendor)
class VendorAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["name", "country_of_incorporation", "country_of_headquarters", "is_demo"]
    list_filter = ["country_of_incorporation", "is_demo"]
    search_fields = ["name", "aliases__name", "identifiers__value"]
    inlines = [VendorAliasInline, VendorIdentifierInline, OwnerInline]


@admin.register(VendorAlias)
class VendorAliasAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["name", "kind", "vendor"]
    list_filter = ["kind"]
    search_fields = ["name", "vendor__name"]
    autocomplete_fields = ["vendor"]


@admin.register(VendorIdentifier)
class VendorIdentifierAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["vendor", "scheme", "value", "country"]
    list_filter = ["scheme"]
    search_fields = ["value", "vendor__name"]
    autocomplete_fields = ["vendor"]


@admin.register(Ownership)
class OwnershipAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["owner", "owned", "share_percent", "kind", "start_date", "end_date"]
    list_filter = ["kind"]
    search_fields = ["owner__name", "owned__name"]
    autocomplete_fields = ["owner", "owned"]


@admin.register(OemRelation)
class OemRelationAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["brand", "manufacturer", "category", "confidence"]
    list_filter = ["category", "confidence"]
    search_fields = ["brand__name", "manufacturer__name"]
    autocomplete_fields = ["brand", "manufacturer"]


@admin.register(ChangeProposal)
class ChangeProposalAdmin(ReadOnlyAdmin):
    """Proposals are written and decided through apps.vendors.proposals (the curators' queue, the API) only."""

    list_display = ["id", "kind", "vendor", "organization", "status", "proposed_by", "decided_by", "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["vendor__name"]
    list_select_related = ["vendor", "organization", "proposed_by", "decided_by"]
