from django.urls import path

from evalprep.dossiers import views

app_name = "dossiers"
urlpatterns = [
    path("", views.job_list, name="job_list"),
    path("<int:pk>/", views.job_detail, name="job_detail"),
    path("<int:pk>/progress/", views.job_progress, name="job_progress"),
    path("<int:pk>/download/", views.job_download, name="job_download"),
    path("<int:pk>/rebuild/", views.job_rebuild, name="job_rebuild"),
    path("dossiers/", views.dossier_index, name="dossier_index"),
    path("dossiers/<str:scope>/<int:pk>/", views.dossier_unit, name="dossier_unit"),
    path("dossiers/<str:scope>/<int:pk>/build/", views.dossier_build, name="dossier_build"),
    path("dashboard/", views.dashboard, name="dashboard"),
]
