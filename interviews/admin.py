from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from interviews.models import Answer, InspectionSample, Outline, Question, RehearsalVisit, Respondent


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0
    fields = ["number", "text", "data_check", "is_local", "edited"]


@admin.register(Outline)
class OutlineAdmin(admin.ModelAdmin):
    list_display = ["title", "campaign", "level", "respondent_kind", "order"]
    list_filter = ["campaign", "level"]
    inlines = [QuestionInline]


@admin.register(Respondent)
class RespondentAdmin(SimpleHistoryAdmin):
    list_display = ["outline", "user", "post", "department", "village", "relocation_site", "status"]
    list_filter = ["status", "outline__level"]
    raw_id_fields = ["user", "village", "department", "relocation_site", "reviewed_by"]


@admin.register(Answer)
class AnswerAdmin(SimpleHistoryAdmin):
    list_display = ["respondent", "question", "updated_at"]
    raw_id_fields = ["respondent", "question", "updated_by"]


@admin.register(RehearsalVisit)
class RehearsalVisitAdmin(admin.ModelAdmin):
    list_display = ["household", "visited_on", "visitor_name", "questionnaire"]
    raw_id_fields = ["household", "recorded_by"]
    date_hierarchy = "visited_on"


@admin.register(InspectionSample)
class InspectionSampleAdmin(admin.ModelAdmin):
    list_display = ["campaign", "seed", "size", "drawn_at"]
