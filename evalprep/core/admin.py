from django.contrib import admin

from evalprep.core.models import (
    AuditEvent,
    Campaign,
    County,
    Department,
    Milestone,
    RelocationSite,
    RoleAssignment,
    Township,
    Village,
    VillageGroup,
    WorkingGroup,
    WorkingGroupMember,
)


class TownshipInline(admin.TabularInline):
    model = Township
    extra = 0


@admin.register(County)
class CountyAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    inlines = [TownshipInline]


class VillageInline(admin.TabularInline):
    model = Village
    extra = 0


@admin.register(Township)
class TownshipAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "county"]
    list_filter = ["county"]
    search_fields = ["name", "code"]
    inlines = [VillageInline]


class VillageGroupInline(admin.TabularInline):
    model = VillageGroup
    extra = 0


@admin.register(Village)
class VillageAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "township", "is_lifted_village"]
    list_filter = ["township__county", "township", "is_lifted_village"]
    search_fields = ["name", "code"]
    list_select_related = ["township"]
    inlines = [VillageGroupInline]


@admin.register(RelocationSite)
class RelocationSiteAdmin(admin.ModelAdmin):
    list_display = ["name", "village", "households_planned", "people_planned"]
    list_select_related = ["village"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "county"]
    list_filter = ["county"]
    search_fields = ["name"]


class WorkingGroupMemberInline(admin.TabularInline):
    model = WorkingGroupMember
    extra = 0
    raw_id_fields = ["user"]


@admin.register(WorkingGroup)
class WorkingGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "township", "county"]
    list_filter = ["county", "kind"]
    inlines = [WorkingGroupMemberInline]


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "year", "county", "inspection_start", "is_current"]
    list_filter = ["county"]
    inlines = [MilestoneInline]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "post", "county", "department", "township", "village"]
    list_filter = ["county", "role"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    raw_id_fields = ["user", "village"]
    list_select_related = ["user", "county", "department", "township", "village"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "action", "object_type", "object_id", "ip_address"]
    list_filter = ["action"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
