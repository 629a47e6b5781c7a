"""The staff roles: Django groups, each with exactly the model-wide permissions it needs (made and kept by
the migrations of this app). Superuser stays for the platform's operators.

- Portal administrators: every permission of the portal's own apps, so everything through the services
  (which check these permissions and audit), and the sign-in lockouts; not superuser status.
- Support engineers: the "Support" group that the decision function knows them by; they see the clusters
  they may reach now (and until when) and their own decisions, read-only.
- Auditors: read-only everywhere, and exports.
"""

from support.models import SUPPORT_GROUP_NAME

PORTAL_ADMINISTRATORS = "Portal administrators"
SUPPORT_ENGINEERS = SUPPORT_GROUP_NAME
AUDITORS = "Auditors"

# The apps whose every model is the portal's own.
PORTAL_APPS = ("accounts", "monitoring", "support", "serviceaccounts")

EXPORT = "accounts.export_records"

EXTRA = {
    PORTAL_ADMINISTRATORS: [
        "auth.view_group",
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        EXPORT,
    ],
    SUPPORT_ENGINEERS: ["support.view_supportreach", "support.view_supportaccessdecision"],
    AUDITORS: ["auth.view_group", "axes.view_accessattempt", EXPORT],
}


def wanted_permissions(permission_model) -> dict[str, set[int]]:
    """Group name -> the ids of the permissions it should hold, read from ``permission_model`` (the real one, or
    a migration's historical one)."""
    every = list(permission_model.objects.values_list("pk", "content_type__app_label", "codename"))
    by_label = {f"{app}.{codename}": pk for pk, app, codename in every}
    portal = {pk for pk, app, _ in every if app in PORTAL_APPS}
    views = {pk for pk, app, codename in every if app in PORTAL_APPS and codename.startswith("view_")}
    # exports are not "everything through the services": only the roles that name them hold them
    portal.discard(by_label.get(EXPORT))
    wanted = {
        PORTAL_ADMINISTRATORS: portal,
        SUPPORT_ENGINEERS: set(),
        AUDITORS: views,
    }
    for name, labels in EXTRA.items():
        wanted[name] |= {by_label[label] for label in labels if label in by_label}
    return wanted


def staff_roles_sync(*, permission_model, group_model) -> dict[str, set[int]]:
    """Make each staff group hold exactly its permissions (creating the group if missing). Run by this app's
    migrations (with their historical models) and by ``manage.py staff_roles`` after new models arrive."""
    wanted = wanted_permissions(permission_model)
    for name, permission_ids in wanted.items():
        group, _ = group_model.objects.get_or_create(name=name)
        group.permissions.set(permission_ids)
    return wanted
