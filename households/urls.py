from django.urls import path

from households import national_views, views

app_name = "households"
urlpatterns = [
    path("", views.roster, name="roster"),
    path("export/", views.roster_export, name="roster_export"),
    path("template/", views.roster_template, name="roster_template"),
    path("<int:pk>/", views.household_page, name="household"),
    path("<int:pk>/history/", views.household_history_part, name="household_history"),
    path("<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("<int:pk>/members/<int:member_pk>/reveal/<str:field_name>/", views.member_reveal, name="member_reveal"),
    path("<int:pk>/monitoring/", views.monitoring_step, name="monitoring_step"),
    path("import/", views.import_upload, name="import_upload"),
    path("import/<int:pk>/", views.import_detail, name="import_detail"),
    path("import/<int:pk>/apply/", views.import_apply, name="import_apply"),
    path("import/<int:pk>/errors/", views.import_errors, name="import_errors"),
]

# Screening (应纳未纳筛查), worst-ten lists and the village income worksheet.
urlpatterns += [
    path("screening/", views.screening_worklist, name="screening_worklist"),
    path("screening/run/", views.screening_run_view, name="screening_run"),
    path("screening/thresholds/", views.screening_thresholds, name="screening_thresholds"),
    path("screening/flags/<int:pk>/decide/", views.screening_decide, name="screening_decide"),
    path("screening/flags/<int:pk>/attachment/", views.screening_attachment, name="screening_attachment"),
    path("screening/villages/<int:village_pk>/worst-ten/", views.worst_ten, name="worst_ten"),
    path("screening/villages/<int:village_pk>/income-estimate/", views.income_estimate, name="income_estimate"),
]

# National export (国家系统比对): snapshots, reconciliation and suspect-data checks.
urlpatterns += [
    path("national/", national_views.national_overview, name="national_overview"),
    path("national/upload/", national_views.national_upload, name="national_upload"),
    path("national/snapshots/<int:pk>/", national_views.national_snapshot, name="national_snapshot"),
    path("national/roster-check/", national_views.national_roster_check, name="national_roster_check"),
    path("national/hits/", national_views.national_hits, name="national_hits"),
    path("national/hits/export/", national_views.national_hits_export, name="national_hits_export"),
    path("national/hits/<int:pk>/mark/", national_views.national_hit_mark_view, name="national_hit_mark"),
    path("national/discrepancies/", national_views.national_discrepancies, name="national_discrepancies"),
    path("national/discrepancies/<int:pk>/resolve/", national_views.national_discrepancy_resolve, name="national_discrepancy_resolve"),
    path("national/settings/", national_views.national_settings, name="national_settings"),
]
