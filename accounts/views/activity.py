"""The Activity tabs: the audit trail of an organization and of a project, filtered, 50 a page."""

urlpatterns = []
