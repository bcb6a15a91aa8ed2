from django.urls import path

from evalprep.core.views import module_landing

app_name = "interviews"
urlpatterns = [
    path("", module_landing, {"module": "interviews"}, name="landing"),
]
