"""URLs of the OAuth 2.0 test peer: django-oauth-toolkit under /o/, the test counters under /test/."""
from django.http import HttpResponseNotAllowed, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

import peer_middleware


def count_view(request):
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    return JsonResponse(peer_middleware.counts(request.GET.get("user")))


@csrf_exempt
def reset_view(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    user = request.GET.get("user")
    peer_middleware.reset(user)
    return JsonResponse(peer_middleware.counts(user))


def health_view(request):
    return JsonResponse({"ok": True})


urlpatterns = [
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("test/counts", count_view),
    path("test/counts/reset", reset_view),
    path("test/health", health_view),
]
