from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from apps.common.admin import CompactTabularInline

from .models import Component, Equipment, ProductModel, Site


@admin.register(Site)
class SiteAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "organization", "kind", "country", "criticality", "is_defence"]
    list_filter = ["kind", "criticality", "is_defence", "organization"]
    search_fields = ["name", "code", "region"]
    autocomplete_fields = ["organization"]


@admin.register(ProductModel)
class ProductModelAdmin(SimpleHistoryAdmin):
    list_display = ["model_number", "brand", "manufacturer", "software_supplier", "category"]
    list_filter = ["category"]
    search_fields = ["model_number", "name", "brand__name", "manufacturer__name"]
    autocomplete_fields = ["brand", "manufacturer", "software_supplier"]


class ComponentInline(CompactTabularInline):
    model = Component
    autocomplete_fields = ["vendor"]


@admin.register(Equipment)
class EquipmentAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "site", "product_model", "category", "quantity", "status", "connectivity"]
    list_filter = ["category", "status", "internet_connected", "vendor_remote_access", "cellular_modem",
                   "isolated_segment", "site__organization"]
    search_fields = ["serial_number", "asset_tag", "product_model__model_number"]
    autocomplete_fields = ["site", "product_model", "remote_access_vendor"]
    list_select_related = ["site", "product_model__brand"]
    inlines = [ComponentInline]


@admin.register(Component)
class ComponentAdmin(SimpleHistoryAdmin):
    list_display = ["equipment", "kind", "vendor", "name"]
    list_filter = ["kind"]
    autocomplete_fields = ["equipment", "vendor"]
