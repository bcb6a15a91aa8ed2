from django.urls import path

from interviews import views

app_name = "interviews"
urlpatterns = [
    path("", views.landing, name="landing"),
    path("load/", views.outlines_load_view, name="outlines_load"),
    path("assign/", views.respondents_assign_view, name="respondents_assign"),
    path("outlines/<int:pk>/", views.outline_detail, name="outline"),
    path("outlines/<int:pk>/respondents/add/", views.respondent_add_view, name="respondent_add"),
    path("outlines/<int:pk>/questions/new/", views.question_new, name="question_new"),
    path("questions/<int:pk>/edit/", views.question_edit, name="question_edit"),
    path("sheets/", views.sheets, name="sheets"),
    path("sheets/<int:pk>/", views.sheet_detail, name="sheet"),
    path("sheets/<int:pk>/answers/<int:question_pk>/", views.answer_save_view, name="answer_save"),
    path("sheets/<int:pk>/submit/", views.sheet_submit_view, name="sheet_submit"),
    path("sheets/<int:pk>/approve/", views.sheet_approve_view, name="sheet_approve"),
    path("sheets/<int:pk>/return/", views.sheet_return_view, name="sheet_return"),
    path("sheets/<int:pk>/cards.pdf", views.sheet_cards, name="sheet_cards"),
    path("sheets/<int:pk>/drill/", views.sheet_drill, name="sheet_drill"),
    path("rehearsal/", views.rehearsal, name="rehearsal"),
    path("rehearsal/villages/<int:pk>/", views.rehearsal_village, name="rehearsal_village"),
    path("rehearsal/households/<int:pk>/visit/", views.visit_new, name="visit_new"),
    path("sample/", views.sample, name="sample"),
    path("sample/draw/", views.sample_draw_view, name="sample_draw"),
    path("sample/cards/", views.sample_cards, name="sample_cards"),
]
