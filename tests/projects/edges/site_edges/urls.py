from django.http import JsonResponse
from django.urls import path


def scheme_view(request):
    """Django's own view of the scheme (a fallthrough path): no SECURE_PROXY_SSL_HEADER here, so
    ``is_secure()`` is bolt's ``wsgi.url_scheme``."""
    return JsonResponse(
        {
            "secure": request.is_secure(),
            "uri": request.build_absolute_uri("/x"),
            "proto": request.META.get("HTTP_X_FORWARDED_PROTO"),
        }
    )


urlpatterns = [path("django/scheme", scheme_view)]
