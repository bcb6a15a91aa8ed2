from django.urls import path

from evalprep.core.views import module_landing

app_name = "indicators"
urlpatterns = [
    path("", module_landing, {"module": "indicators"}, name="landing"),
]
