"""Routes of the support API, relative to /api/atlas/{v2,v1.0}/ (filled in by its issue)."""

urlpatterns = []
