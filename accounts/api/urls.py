"""Every accounts API route, relative to /api/atlas/{v2,v1.0}/."""

from . import api_keys, clusters, events, groups, invitations, orgs, teams, users

urlpatterns = [
    *orgs.urlpatterns,
    *users.urlpatterns,
    *invitations.urlpatterns,
    *teams.urlpatterns,
    *groups.urlpatterns,
    *clusters.urlpatterns,
    *events.urlpatterns,
    *api_keys.urlpatterns,
]
