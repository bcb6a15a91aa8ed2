from django.contrib import admin

from tasks.models import Assignment, Comment, Deliverable, Finding, FindingEvidence, Guide, Notification, TaskTemplate


@admin.register(TaskTemplate)
class TaskTemplateAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "level", "section", "campaign", "deliverable")
    list_filter = ("campaign", "level", "section", "deliverable")
    search_fields = ("code", "title", "text")


class DeliverableInline(admin.TabularInline):
    model = Deliverable
    extra = 0
    fields = ("kind", "original_name", "row_count", "is_current", "uploaded_by", "uploaded_at")
    readonly_fields = fields


class CommentInline(admin.TabularInline):
    model = Comment
    extra = 0
    readonly_fields = ("author", "text", "created_at")


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("template", "level", "department", "township", "village", "working_group", "due_date", "status")
    list_filter = ("campaign", "level", "status")
    search_fields = ("template__title", "template__code")
    raw_id_fields = ("template", "department", "township", "village", "working_group")
    readonly_fields = ("submitted_by", "submitted_at", "signed_off_by", "signed_off_at", "accepted_by", "accepted_at",
                       "created_by")
    inlines = [DeliverableInline, CommentInline]


class FindingEvidenceInline(admin.TabularInline):
    model = FindingEvidence
    extra = 0
    fields = ("original_name", "uploaded_by", "uploaded_at")
    readonly_fields = fields


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = ("number", "source", "description", "responsible_department", "responsible_township", "deadline", "status")
    list_filter = ("campaign", "source", "status")
    search_fields = ("description", "household_name")
    raw_id_fields = ("village", "department", "household", "responsible_department", "responsible_township")
    inlines = [FindingEvidenceInline]


@admin.register(Guide)
class GuideAdmin(admin.ModelAdmin):
    list_display = ("group", "name", "trained_on", "campaign")
    list_filter = ("campaign",)
    search_fields = ("name", "group__village__name")
    raw_id_fields = ("group",)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "day", "title", "read_at", "emailed_at")
    list_filter = ("kind", "day")
    raw_id_fields = ("user",)
