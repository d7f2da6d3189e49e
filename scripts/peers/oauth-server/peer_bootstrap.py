"""Prepares the OAuth 2.0 test peer's database: migrations, then the one test application.

Called by peer_wsgi before it serves (so Django is imported once per start). Reads
OAUTH_PEER_CLIENT_ID, OAUTH_PEER_CLIENT_SECRET, OAUTH_PEER_REDIRECT_URI and, optionally,
OAUTH_PEER_TEMPLATE_DB (a migrated database to start from, written after the first migration: a
fresh `migrate` costs seconds, a no-op one a fraction). The client is confidential,
authorization-code grant, with exactly one redirect URI, no consent page (skip_authorization) and
its secret stored in clear (hash_client_secret=False: hashing costs 0.2-0.5 s per token request).
"""
import os
import shutil
import sqlite3


def prepare():
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections
    from oauth2_provider.models import get_application_model

    database = settings.DATABASES["default"]["NAME"]
    template = os.environ.get("OAUTH_PEER_TEMPLATE_DB", "")
    if template and os.path.exists(template) and not os.path.exists(database):
        shutil.copyfile(template, database)

    call_command("migrate", verbosity=0, interactive=False)

    if template:
        # Keep a migrated copy for the next start (sqlite3's online backup: consistent under WAL).
        connections.close_all()
        partial = f"{template}.{os.getpid()}.tmp"
        with sqlite3.connect(database) as source, sqlite3.connect(partial) as target:
            source.backup(target)
        os.replace(partial, template)

    Application = get_application_model()
    Application.objects.all().delete()
    Application.objects.create(
        name="tollgate-tests",
        client_id=os.environ["OAUTH_PEER_CLIENT_ID"],
        client_secret=os.environ["OAUTH_PEER_CLIENT_SECRET"],
        hash_client_secret=False,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=os.environ["OAUTH_PEER_REDIRECT_URI"],
        skip_authorization=True,
        algorithm="",
    )
    connections.close_all()
