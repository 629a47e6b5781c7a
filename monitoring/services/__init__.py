"""Every write of the monitoring app: atomic, permission-checked on the object, audited."""

from ._common import may_manage_system_groups
from .attachments import monitoring_user_attach, monitoring_user_detach
from .groups import (
    HandRemoval,
    cluster_changed,
    monitoring_group_create,
    monitoring_group_delete,
    monitoring_group_member_add,
    monitoring_group_member_remove,
    monitoring_groups_reconcile,
)
from .notifications import monitoring_group_admins_notify
from .offboarding import person_offboard

__all__ = [
    "HandRemoval",
    "cluster_changed",
    "may_manage_system_groups",
    "monitoring_group_admins_notify",
    "monitoring_group_create",
    "monitoring_group_delete",
    "monitoring_group_member_add",
    "monitoring_group_member_remove",
    "monitoring_groups_reconcile",
    "monitoring_user_attach",
    "monitoring_user_detach",
    "person_offboard",
]
