from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from evalprep.core import views as core_views

admin.site.site_header = "迎评准备系统管理后台"
admin.site.site_title = "迎评准备系统"
admin.site.index_title = "数据管理"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz/", core_views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(template_name="registration/login.html", redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("org/", include("evalprep.core.urls")),
    path("jobs/", include("evalprep.dossiers.urls")),
    path("households/", include("households.urls")),
    path("indicators/", include("indicators.urls")),
    path("tasks/", include("tasks.urls")),
    path("interviews/", include("interviews.urls")),
    path("admin/", admin.site.urls),
]
