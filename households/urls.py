from django.urls import path

from evalprep.core.views import module_landing

app_name = "households"
urlpatterns = [
    path("", module_landing, {"module": "households"}, name="landing"),
]
