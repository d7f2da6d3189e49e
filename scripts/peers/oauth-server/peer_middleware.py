"""Middleware of the OAuth 2.0 test peer: header login and the request counter tests read."""
import threading
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth.middleware import RemoteUserMiddleware


class HeaderRemoteUserMiddleware(RemoteUserMiddleware):
    """Logs in the user named by the `X-Remote-User` request header."""

    header = "HTTP_X_REMOTE_USER"


_lock = threading.Lock()
# (user name or "", key) -> count; "" collects requests whose user could not be found.
_counts = {}
# code -> user name, for every code issued (a used code is deleted from the database, so a replay
# could not be attributed otherwise).
_code_users = {}
COUNTED_KEYS = ("token", "authorization_code", "refresh", "refresh_ok", "revoke")


def counts(user=None):
    """Totals, or the counts of requests about one user's codes and tokens."""
    with _lock:
        return {
            key: sum(n for (who, k), n in _counts.items() if k == key and (user is None or who == user))
            for key in COUNTED_KEYS
        }


def reset(user=None):
    with _lock:
        for who_key in [wk for wk in _counts if user is None or wk[0] == user]:
            del _counts[who_key]


def _add(user, *keys):
    with _lock:
        for key in keys:
            _counts[(user, key)] = _counts.get((user, key), 0) + 1


def _user_of(grant_type, form, revoking):
    """The user whose code or token a token or revocation request carries ("" if none is found:
    an unknown token, or one deleted by revocation), looked up before the view runs."""
    import hashlib

    from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model

    def first(name):
        return (form.get(name) or [""])[0]

    def checksum(token):
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    try:
        if revoking:
            token = first("token")
            for model in (get_access_token_model(), get_refresh_token_model()):
                row = model.objects.select_related("user").filter(token_checksum=checksum(token)).first()
                if row is not None and row.user is not None:
                    return row.user.get_username()
        elif grant_type == "authorization_code":
            with _lock:
                known = _code_users.get(first("code"))
            if known is not None:
                return known
            row = get_grant_model().objects.select_related("user").filter(code=first("code")).first()
            if row is not None:
                return row.user.get_username()
        elif grant_type == "refresh_token":
            model = get_refresh_token_model()
            row = model.objects.select_related("user").filter(token_checksum=checksum(first("refresh_token"))).first()
            if row is not None and row.user is not None:
                return row.user.get_username()
    except Exception:  # a counter must never break the request it counts
        pass
    return ""


class RequestCounterMiddleware:
    """Counts what the provider saw, in process (gunicorn runs 1 worker, so one counter), in all
    and per user (the user whose code or token the request carries, so parallel tests that log in
    as different users do not see each other's requests):

    token               every POST to /o/token/, whatever its grant_type and outcome
    authorization_code  those with grant_type=authorization_code
    refresh             those with grant_type=refresh_token (any outcome)
    refresh_ok          refreshes answered 200
    revoke              every POST to /o/revoke_token/
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/o/authorize/":
            response = self.get_response(request)
            self._remember_code(request, response)
            return response
        if request.method != "POST" or request.path not in ("/o/token/", "/o/revoke_token/"):
            return self.get_response(request)
        # Read the raw body (cached by Django), so the view can still read it.
        form = parse_qs(request.body.decode("utf-8", "replace"))
        grant_type = (form.get("grant_type") or [""])[0]
        revoking = request.path == "/o/revoke_token/"
        user = _user_of(grant_type, form, revoking)
        if revoking:
            _add(user, "revoke")
            return self.get_response(request)
        keys = ["token"]
        if grant_type == "authorization_code":
            keys.append("authorization_code")
        elif grant_type == "refresh_token":
            keys.append("refresh")
        _add(user, *keys)
        response = self.get_response(request)
        if grant_type == "refresh_token" and response.status_code == 200:
            _add(user, "refresh_ok")
        return response

    @staticmethod
    def _remember_code(request, response):
        user = getattr(request, "user", None)
        if response.status_code != 302 or user is None or not user.is_authenticated:
            return
        code = (parse_qs(urlsplit(response.get("Location", "")).query).get("code") or [""])[0]
        if code:
            with _lock:
                _code_users[code] = user.get_username()
