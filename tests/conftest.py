import pytest
from django.conf import settings as django_settings

from evalprep.core.usercache import all_users_changed
from tests.browser import chromium_session
from tests.factories import World, build_world

# What the project's settings say, before the test settings below change it.
PRODUCTION_AUTHENTICATION_BACKENDS = list(django_settings.AUTHENTICATION_BACKENDS)


def pytest_configure(config) -> None:
    # Before any live server builds its middleware: tests speak plain HTTP.
    django_settings.SECURE_SSL_REDIRECT = False
    django_settings.SECURE_HSTS_SECONDS = 0
    django_settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # County-wide figures computed for every reader, so that a test sees its own changes at once;
    # tests/core/test_figures.py turns the shared cache on.
    django_settings.FIGURES_FRESH_SECONDS = 0
    # Likewise the list pages' counts; tests/core/test_counts.py keeps them.
    django_settings.COUNTS_CACHE_SECONDS = 0
    # And the signed-in user; tests/core/test_usercache.py keeps them.
    django_settings.USER_CACHE_SECONDS = 0
    # Client.login() authenticates without a request, which django-axes' backend
    # refuses; tests/core/test_login_throttle.py puts the backend back.
    django_settings.AUTHENTICATION_BACKENDS = PRODUCTION_AUTHENTICATION_BACKENDS[1:]
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


@pytest.fixture
def browser(monkeypatch):
    """A real Chromium (Debian's), for one test."""
    yield from chromium_session(monkeypatch)


@pytest.fixture
def page(browser):
    return browser.new_page(locale="zh-CN")


@pytest.fixture
def users_kept(settings, django_capture_on_commit_callbacks):
    """The signed-in user kept in the cache (the test settings read them for every page), none
    left from an earlier test's database."""
    settings.USER_CACHE_SECONDS = 600
    with django_capture_on_commit_callbacks(execute=True):
        all_users_changed()
    return settings
