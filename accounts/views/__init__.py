"""Customers' pages of the accounts app: one module per part of the site, each ending with its own
``urlpatterns`` (accounts/urls.py includes them all); ``pages`` holds what every page shares."""
