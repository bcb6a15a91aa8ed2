from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from indicators.models import Area, ChecklistRow, EvidenceFile, EvidenceRequirement, Framework, Item


class AreaInline(admin.TabularInline):
    model = Area
    extra = 0
    fields = ["code", "title", "order"]


@admin.register(Framework)
class FrameworkAdmin(SimpleHistoryAdmin):
    list_display = ["name", "title", "version", "year", "province", "loaded_at"]
    readonly_fields = ["loaded_at"]
    inlines = [AreaInline]


class RequirementInline(admin.TabularInline):
    model = EvidenceRequirement
    extra = 0
    fields = ["code", "mark", "text", "level", "departments", "campaign", "is_active"]
    raw_id_fields = ["campaign"]


@admin.register(Item)
class ItemAdmin(SimpleHistoryAdmin):
    list_display = ["code", "title", "area", "is_active"]
    list_filter = ["area__framework", "is_active"]
    search_fields = ["code", "title", "focus"]
    list_select_related = ["area"]
    inlines = [RequirementInline]


@admin.register(EvidenceRequirement)
class EvidenceRequirementAdmin(SimpleHistoryAdmin):
    list_display = ["code", "text", "level", "campaign", "is_active"]
    list_filter = ["item__area__framework", "level", "is_active"]
    search_fields = ["code", "text"]
    list_select_related = ["item", "campaign"]
    raw_id_fields = ["item", "campaign", "created_by"]


class EvidenceFileInline(admin.TabularInline):
    model = EvidenceFile
    extra = 0
    fields = ["original_name", "kind", "size", "evidence_date", "uploaded_by", "uploaded_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(ChecklistRow)
class ChecklistRowAdmin(SimpleHistoryAdmin):
    list_display = ["requirement", "level", "unit", "status", "campaign"]
    list_filter = ["campaign", "level", "status"]
    search_fields = ["requirement__code", "requirement__text"]
    list_select_related = ["requirement", "campaign", "county", "department", "township", "village"]
    raw_id_fields = ["requirement", "county", "department", "township", "village", "milestone", "signed_off_by", "accepted_by"]
    # The workflow goes through indicators.services, so that it is checked and audited.
    readonly_fields = ["status", "return_reason", "submitted_at", "signed_off_by", "signed_off_at", "accepted_by", "accepted_at"]
    inlines = [EvidenceFileInline]
