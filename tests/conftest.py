import pytest
from django.conf import settings as django_settings

from tests.factories import World, build_world


def pytest_configure(config) -> None:
    # Before any live server builds its middleware: tests speak plain HTTP.
    django_settings.SECURE_SSL_REDIRECT = False
    django_settings.SECURE_HSTS_SECONDS = 0
    django_settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    django_settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(db) -> World:
    return build_world()
