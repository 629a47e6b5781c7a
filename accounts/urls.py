"""The accounts app's pages: each view module brings its own URL patterns."""

from .views import activity, api_keys, home, people, profile, projects, teams

app_name = "accounts"

urlpatterns = [
    *home.urlpatterns,
    *profile.urlpatterns,
    *people.urlpatterns,
    *projects.urlpatterns,
    *teams.urlpatterns,
    *api_keys.urlpatterns,
    *activity.urlpatterns,
]
