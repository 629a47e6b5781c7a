"""Static files storage: whitenoise's compressed, hashed names once `collectstatic` has run, plain names before."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """After `collectstatic` (production), ``{% static %}`` names the hashed copy in STATIC_ROOT, which whitenoise
    serves with a year's caching. Where nothing was collected (a newcomer's `make run`, the tests, `DEBUG` on or
    off) there is no manifest: the plain name, which runserver and the test server serve from the apps' folders,
    instead of an error on every page."""

    def stored_name(self, name):
        if not self.hashed_files:
            return name
        return super().stored_name(name)
