from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from households.models import (
    Household,
    IncomeYear,
    Measure,
    Member,
    MonitoringEvent,
    NationalCheckHit,
    NationalCheckSettings,
    NationalDiscrepancy,
    NationalSnapshot,
    NationalSnapshotFile,
    Risk,
    RosterImport,
    ScreeningDecision,
    ScreeningFlag,
    ScreeningRun,
    ScreeningThresholds,
    VillageIncomeEstimate,
)


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

    def get_readonly_fields(self, request, obj=None):
        # A household stays in its village: its number, its history and its screening flags say which.
        return ["village"] if obj is not None else []


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


# Screening


@admin.register(ScreeningThresholds)
class ScreeningThresholdsAdmin(SimpleHistoryAdmin):
    list_display = [
        "campaign", "income_drop_share", "lifted_growth_min", "medical_out_of_pocket",
        "rural_disposable_income_last_year", "decision_days",
    ]


class ScreeningDecisionInline(admin.StackedInline):
    model = ScreeningDecision
    extra = 0
    raw_id_fields = ["decided_by"]


@admin.register(ScreeningFlag)
class ScreeningFlagAdmin(admin.ModelAdmin):
    list_display = ["household", "rule", "explanation", "first_seen_at", "last_seen_at", "resolved_at", "due_date"]
    list_filter = ["rule", "campaign", "household__village__township"]
    search_fields = ["household__number", "household__head_name"]
    list_select_related = ["household"]
    raw_id_fields = ["household", "campaign"]
    readonly_fields = ["figure", "threshold", "facts", "first_seen_at", "last_seen_at", "resolved_at"]
    inlines = [ScreeningDecisionInline]


@admin.register(ScreeningDecision)
class ScreeningDecisionAdmin(SimpleHistoryAdmin):
    list_display = ["flag", "outcome", "decided_by_name", "decided_at"]
    list_filter = ["outcome"]
    raw_id_fields = ["flag", "decided_by"]
    list_select_related = ["flag__household"]


@admin.register(ScreeningRun)
class ScreeningRunAdmin(admin.ModelAdmin):
    list_display = ["campaign", "scope", "started_at", "finished_at", "run_by"]
    readonly_fields = [field.name for field in ScreeningRun._meta.fields]


@admin.register(VillageIncomeEstimate)
class VillageIncomeEstimateAdmin(SimpleHistoryAdmin):
    list_display = ["village", "campaign", "year", "population", "updated_by", "updated_at"]
    raw_id_fields = ["village", "updated_by"]


# National export: snapshots and their rows are read-only once taken.


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class NationalSnapshotFileInline(admin.TabularInline):
    model = NationalSnapshotFile
    extra = 0
    fields = ["filename", "sha256"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(NationalSnapshot)
class NationalSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["county", "source", "taken_on", "township", "status", "persons", "households", "created_at"]
    list_filter = ["source", "status"]
    inlines = [NationalSnapshotFileInline]


@admin.register(NationalDiscrepancy)
class NationalDiscrepancyAdmin(ReadOnlyAdmin):
    list_display = ["explanation", "village", "kind", "field", "deadline", "resolution"]
    list_filter = ["kind", "resolution"]
    search_fields = ["household_number", "subject_key"]


@admin.register(NationalCheckHit)
class NationalCheckHitAdmin(ReadOnlyAdmin):
    list_display = ["rule", "explanation", "village", "source", "status"]
    list_filter = ["source", "status", "rule"]
    search_fields = ["household_number", "subject_key"]


@admin.register(NationalCheckSettings)
class NationalCheckSettingsAdmin(admin.ModelAdmin):
    list_display = ["campaign", "updated_at"]
