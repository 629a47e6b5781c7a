"""Offboarding a person: their portal membership and their monitoring user go in one step, and the report says
each thing removed (the mLab documentation warns that removing only one of the two leaves access behind)."""

from django.db import transaction

from accounts.audit import audit_event_record
from accounts.errors import ServiceError
from accounts.services.locks import lock_organization_for
from accounts.services.members import remove_from_organization
from monitoring import selectors

from ..audit import Event
from .attachments import MANAGE_MONITORING_USERS, detach_from_organization


@transaction.atomic
def person_offboard(*, organization, actor, user=None, monitoring_user=None) -> dict:
    """Remove a person from the organization (ORG_OWNER): their organization membership with its teams and
    project roles, and the monitoring user linked to them (detached from every group); or, starting from a
    ``monitoring_user``, the same with the portal user linked to it. All or nothing. Returns the report:
    {"user", "organizationRoles", "projects", "teams", "invitationsRevoked", "monitoringUserDetached",
    "warnings"}."""
    organization = lock_organization_for(actor, MANAGE_MONITORING_USERS, organization)
    plan = selectors.offboarding_plan(
        organization=organization, user=user, monitoring_user=monitoring_user, with_names=False
    )
    if plan.is_empty:
        who = user.email if user is not None else getattr(monitoring_user, "username", "")
        raise ServiceError(
            "NOTHING_TO_OFFBOARD",
            f"{who} is neither a member of {organization.name} nor a monitoring user attached to it.",
            username=who,
        )
    removed = {"roles": [], "projects": [], "teams": [], "invitations": []}
    if plan.membership is not None:
        # One lock and one permission check for the whole offboarding (both taken above).
        removed = remove_from_organization(
            organization=organization, user=plan.user, actor=actor, membership=plan.membership
        )
    detached = None
    if plan.attachment is not None:
        result = detach_from_organization(
            organization=organization, attachment=plan.attachment, actor=actor, read_under_lock=True
        )
        detached = {
            "id": result["monitoringUser"].public_id,
            "username": result["monitoringUser"].username,
            "emailAddress": result["monitoringUser"].email,
            "groups": result["groups"],
        }
    report = {
        "user": (
            {"id": plan.user.public_id, "username": plan.user.email} if plan.membership is not None else None
        ),
        "organizationRoles": removed["roles"],
        "projects": removed["projects"],
        "teams": removed["teams"],
        "invitationsRevoked": removed["invitations"],
        "monitoringUserDetached": detached,
        "warnings": plan.warnings,
    }
    target = plan.user if plan.membership is not None else plan.attachment.monitoring_user
    audit_event_record(
        event_type=Event.USER_OFFBOARDED,
        actor=actor,
        organization=organization,
        target=target,
        target_type="user" if plan.membership is not None else "monitoringUser",
        details={
            **report,
            "monitoringUserDetached": detached and {**detached, "groups": len(detached["groups"])},
        },
    )
    return report
