"""Routes of the monitoring API, relative to /api/atlas/{v2,v1.0}/ (filled in by its issue)."""

urlpatterns = []
