"""API resource module (filled in by its own change)."""

urlpatterns = []
