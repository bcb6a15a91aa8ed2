from django.core.management.base import BaseCommand

from evalprep.preflight import check_database, check_redis


class Command(BaseCommand):
    help = "检查 DATABASE_URL 和 REDIS_URL 指定的服务是否可用。"

    def handle(self, *args, **options) -> None:
        check_database()
        check_redis()
        self.stdout.write("数据库和消息队列均可用。")
