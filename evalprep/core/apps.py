from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "evalprep.core"
    label = "core"
    verbose_name = "组织架构与评估年度"

    def ready(self) -> None:
        from evalprep.core.usercache import connect_user_models

        connect_user_models()  # the signed-in user kept in the cache (evalprep.core.usercache)
