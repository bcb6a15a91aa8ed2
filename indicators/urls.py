from django.urls import path

from indicators import views

app_name = "indicators"
urlpatterns = [
    path("", views.checklist, name="checklist"),
    path("rows/<int:pk>/", views.row_detail, name="row"),
    path("rows/<int:pk>/submit/", views.row_submit, name="row_submit"),
    path("rows/<int:pk>/sign-off/", views.row_sign_off, name="row_sign_off"),
    path("rows/<int:pk>/accept/", views.row_accept, name="row_accept"),
    path("rows/<int:pk>/return/", views.row_return, name="row_return"),
    path("files/<int:pk>/", views.evidence_download, name="evidence_download"),
    path("review/", views.review, name="review"),
    path("requirements/new/", views.requirement_new, name="requirement_new"),
    path("readiness/", views.readiness, name="readiness"),
]
