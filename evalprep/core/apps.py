from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "evalprep.core"
    label = "core"
    verbose_name = "组织架构与评估年度"
