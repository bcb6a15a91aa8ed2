from django.urls import path

from households import views

app_name = "households"
urlpatterns = [
    path("", views.roster, name="roster"),
    path("export/", views.roster_export, name="roster_export"),
    path("template/", views.roster_template, name="roster_template"),
    path("<int:pk>/", views.household_page, name="household"),
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
