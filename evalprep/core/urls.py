from django.urls import path

from evalprep.core import views

app_name = "core"
urlpatterns = [
    path("", views.org_overview, name="org_overview"),
    path("townships/<int:pk>/", views.township_detail, name="township_detail"),
    path("villages/<int:pk>/", views.village_detail, name="village_detail"),
    path("departments/", views.department_list, name="department_list"),
    path("departments/<int:pk>/", views.department_detail, name="department_detail"),
    path("task-force/", views.task_force_view, name="task_force"),
    path("campaign/", views.campaign_detail, name="campaign_detail"),
    path("campaign/milestones/new/", views.milestone_edit, name="milestone_new"),
    path("campaign/milestones/<int:pk>/edit/", views.milestone_edit, name="milestone_edit"),
    path("check/", views.org_check_start, name="org_check_start"),
    path("audit/", views.audit_log_view, name="audit_log"),
]
