"""Every write of the support app: atomic, permission-checked on the object, audited; owners are emailed."""

from .decisions import Decision, support_access_decide
from .grants import (
    support_grant_create,
    support_grant_revoke,
    support_grants_end_with_cluster,
    support_grants_expire_due,
)
from .settings import organization_settings_set, support_access_restrict_set

__all__ = [
    "Decision",
    "organization_settings_set",
    "support_access_decide",
    "support_access_restrict_set",
    "support_grant_create",
    "support_grant_revoke",
    "support_grants_end_with_cluster",
    "support_grants_expire_due",
]
