"""The organization's API Keys tab and a project's API keys section: create (the private key shown once),
roles, projects, access lists, delete."""

urlpatterns = []
