"""The accounts app's part of the Atlas-shaped API: one module per resource, each with its serializers,
views and ``urlpatterns``."""
