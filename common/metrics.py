"""The Prometheus scrape endpoint, /internal/metrics: not under /api/, not in the schema, not for the public."""

import hmac
import ipaddress
import logging
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.views.decorators.http import require_GET
from django_prometheus.exports import ExportToDjangoView

from common import queue_metrics
from common.utils import client_ip

logger = logging.getLogger(__name__)


@cache
def _networks(spec: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(net, strict=False) for net in spec if net)


def metrics_access_allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].encode(), token.encode()):
        return True
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in network for network in _networks(tuple(settings.METRICS_ALLOWED_NETWORKS)))


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text format (all gunicorn workers when PROMETHEUS_MULTIPROC_DIR is set). A client that is neither
    in METRICS_ALLOWED_NETWORKS nor holding METRICS_TOKEN gets a plain 404, as if nothing were here."""
    if not metrics_access_allowed(request):
        logger.warning("Metrics refused to %s", client_ip(request))
        return HttpResponseNotFound("Not found.", content_type="text/plain")
    response = ExportToDjangoView(request)
    # Queue depth, live workers and job age (for autoscaling), computed at scrape time: common/queue_metrics.py.
    response.content = response.content + queue_metrics.render()
    return response
