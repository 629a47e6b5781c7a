"""Static files in production: after collectstatic, the portal serves them itself (whitenoise), under names that
carry a hash of their content, cached for a year; pages link those names."""

import re

import pytest
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db


def test_after_collectstatic_pages_link_hashed_names_that_the_portal_serves_with_long_caching(
    tmp_path, settings, owner
):
    settings.DEBUG = False
    settings.STATIC_ROOT = str(tmp_path)
    call_command("collectstatic", "--noinput", verbosity=0)
    client = Client()  # a new handler: whitenoise reads STATIC_ROOT when its middleware is made
    client.force_login(owner)

    page = client.get("/accounts/profile/").content.decode()

    stylesheet = re.search(r'href="(/static/accessportal/site\.[0-9a-f]{12}\.css)"', page)
    assert stylesheet, "the layout links the stylesheet by its hashed name"
    response = client.get(stylesheet.group(1), HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert "immutable" in response["Cache-Control"] and "max-age=315360000" in response["Cache-Control"]
    assert response["Content-Encoding"] == "gzip"
    script = re.search(r'src="(/static/vendor/htmx/[^"]+\.[0-9a-f]{12}\.js)"', page)
    assert script and client.get(script.group(1)).status_code == 200
