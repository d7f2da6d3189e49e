"""WSGI entry point of the OAuth 2.0 test peer (gunicorn peer_wsgi:application).

Prepares the database (peer_bootstrap) before it serves, so each start imports Django once.
"""
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()

import peer_bootstrap  # noqa: E402

peer_bootstrap.prepare()
