"""Middleware of the OAuth 2.0 test peer: header login and the request counter tests read."""
import threading
from urllib.parse import parse_qs

from django.contrib.auth.middleware import RemoteUserMiddleware


class HeaderRemoteUserMiddleware(RemoteUserMiddleware):
    """Logs in the user named by the `X-Remote-User` request header."""

    header = "HTTP_X_REMOTE_USER"


_lock = threading.Lock()
_counts = {}
COUNTED_KEYS = ("token", "authorization_code", "refresh", "refresh_ok", "revoke")


def counts():
    with _lock:
        return {key: _counts.get(key, 0) for key in COUNTED_KEYS}


def reset():
    with _lock:
        _counts.clear()


def _add(*keys):
    with _lock:
        for key in keys:
            _counts[key] = _counts.get(key, 0) + 1


class RequestCounterMiddleware:
    """Counts what the provider saw, in process (gunicorn runs 1 worker, so one counter):

    token               every POST to /o/token/, whatever its grant_type and outcome
    authorization_code  those with grant_type=authorization_code
    refresh             those with grant_type=refresh_token (any outcome)
    refresh_ok          refreshes answered 200
    revoke              every POST to /o/revoke_token/
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method != "POST":
            return self.get_response(request)
        if request.path == "/o/token/":
            # Read the raw body (cached by Django), so the view can still read it.
            form = parse_qs(request.body.decode("utf-8", "replace"))
            grant_type = (form.get("grant_type") or [""])[0]
            keys = ["token"]
            if grant_type == "authorization_code":
                keys.append("authorization_code")
            elif grant_type == "refresh_token":
                keys.append("refresh")
            _add(*keys)
            response = self.get_response(request)
            if grant_type == "refresh_token" and response.status_code == 200:
                _add("refresh_ok")
            return response
        if request.path == "/o/revoke_token/":
            _add("revoke")
        return self.get_response(request)
