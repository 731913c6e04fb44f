"""Views for tests/common/test_request_slots.py: one that waits on a job that never finishes (through the real
common.jobs.wait), one that answers at once, one that records how many requests run Django code at the same time."""

import threading
import time

from django.http import HttpResponse, JsonResponse
from django.urls import path

from common import jobs

_lock = threading.Lock()
running = {"now": 0, "most": 0}


def wait(request):
    jobs.wait(None, 1.5, lambda: False, name="slot-test:never-finishes")
    return HttpResponse("waited")


def fast(request):
    return HttpResponse("fast")


def busy(request):
    with _lock:
        running["now"] += 1
        running["most"] = max(running["most"], running["now"])
    time.sleep(0.2)  # work done in the slot (not a wait that gives it back)
    with _lock:
        running["now"] -= 1
    return JsonResponse(running)


urlpatterns = [path("wait/", wait), path("fast/", fast), path("busy/", busy)]
