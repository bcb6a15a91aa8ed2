from urllib.parse import quote

from django.test import RequestFactory

from evalprep.core.http import client_ip, file_response


def test_it_keeps_a_chinese_file_name_in_the_download_header():
    response = file_response(b"PK", "花名册-20261122.xlsx")
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote('花名册-20261122.xlsx')}"
    shown = file_response(b"%PDF", "问答卡.pdf", content_type="application/pdf", inline=True)
    assert shown["Content-Disposition"].startswith("inline;") and shown["Content-Type"] == "application/pdf"


def test_it_reads_the_proxy_header_only_when_configured_and_only_an_address(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.7")
    assert client_ip(request) == "127.0.0.1"
    settings.CLIENT_IP_HEADER = "X-Real-IP"
    assert client_ip(request) == "203.0.113.7"
    forged = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="<script>")
    assert client_ip(forged) == "127.0.0.1"
