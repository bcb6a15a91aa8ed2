from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from households.models import Household, IncomeYear, Measure, Member, MonitoringEvent, Risk, RosterImport


class MemberInline(admin.TabularInline):
    model = Member
    extra = 0
    fields = ["name", "id_number", "relation", "sex", "birth_date", "health", "schooling", "medical_insurance", "labour_capacity"]


class IncomeInline(admin.TabularInline):
    model = IncomeYear
    extra = 0


class RiskInline(admin.TabularInline):
    model = Risk
    extra = 0


class MeasureInline(admin.TabularInline):
    model = Measure
    extra = 0


class EventInline(admin.TabularInline):
    model = MonitoringEvent
    extra = 0
    raw_id_fields = ["recorded_by"]


@admin.register(Household)
class HouseholdAdmin(SimpleHistoryAdmin):
    list_display = ["number", "head_name", "village", "category", "monitoring_type", "member_count"]
    list_filter = ["category", "monitoring_type", "housing_grade", "village__township"]
    search_fields = ["number", "head_name"]
    list_select_related = ["village"]
    raw_id_fields = ["village", "group", "relocation_site"]
    inlines = [MemberInline, IncomeInline, RiskInline, MeasureInline, EventInline]


@admin.register(Member)
class MemberAdmin(SimpleHistoryAdmin):
    list_display = ["name", "relation", "household"]
    search_fields = ["name", "household__number"]
    raw_id_fields = ["household"]
    list_select_related = ["household"]


@admin.register(RosterImport)
class RosterImportAdmin(admin.ModelAdmin):
    list_display = ["filename", "village", "user", "created_at", "status", "new_households", "updated_households", "rejected_rows"]
    list_filter = ["status"]
    readonly_fields = [field.name for field in RosterImport._meta.fields]
