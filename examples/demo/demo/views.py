"""Plain Django views: bolt hands every non-API path to Django's own handler."""

import hashlib
import time

from django.http import JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def upload(request):
    """Echoes what Django parsed from a multipart upload, to show bodies reach it intact."""
    files = {
        name: {"name": f.name, "size": f.size, "sha256": hashlib.sha256(f.read()).hexdigest()}
        for name, f in request.FILES.items()
    }
    return JsonResponse({"method": request.method, "fields": request.POST.dict(), "files": files})


def stream(request):
    """A streaming response, sent as it is produced: ``?delay=`` seconds between lines."""
    delay = float(request.GET.get("delay", "0"))

    def lines():
        for i in range(5):
            if delay and i:
                time.sleep(delay)
            yield f"line {i}\n"

    return StreamingHttpResponse(lines(), content_type="text/plain")
