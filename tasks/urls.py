from django.urls import path

from evalprep.core.views import module_landing

app_name = "tasks"
urlpatterns = [
    path("", module_landing, {"module": "tasks"}, name="landing"),
]
