"""Facts about the request that more than one module needs."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The browser's address: from the proxy's header when one is configured
    (CLIENT_IP_HEADER, e.g. X-Real-IP behind nginx), else the socket's peer.
    Anything in the header that is not an address is ignored."""
    if settings.CLIENT_IP_HEADER:
        value = request.headers.get(settings.CLIENT_IP_HEADER, "").split(",")[0].strip()
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR")
