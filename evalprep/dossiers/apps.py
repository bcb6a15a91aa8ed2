from django.apps import AppConfig


class DossiersConfig(AppConfig):
    name = "evalprep.dossiers"
    label = "dossiers"
    verbose_name = "后台任务与汇编材料"
