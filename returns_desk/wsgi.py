"""WSGI entry point (gunicorn returns_desk.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "returns_desk.settings.production")

application = get_wsgi_application()
