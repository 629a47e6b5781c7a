"""Adding people to a project by email, as the project's Access tab does: members of its organization join at
once, everyone else is invited."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.functions import Lower

from accounts import roles as catalogue
from accounts.audit import audit_events_record_bulk
from accounts.errors import ServiceError
from accounts.models import AuditEvent, Invitation, ProjectMembership, ProjectRole
from accounts.permissions import require_may_grant, sync_organization_permissions

from ._rules import clean_project_roles
from .invitations import clean_emails, project_invitations_create
from .locks import lock_organization_for

Event = AuditEvent.Type


@transaction.atomic
def project_users_add(
    *, project, emails, roles=(catalogue.GROUP_READ_ONLY,), actor
) -> tuple[list[ProjectMembership], list[Invitation]]:
    """Give the people at ``emails`` these project roles (GROUP_OWNER or GROUP_USER_ADMIN, no escalation): the
    organization's members become project members now (an invitation would make them wait for nothing), the
    others are invited (``project_invitations_create``) and join the organization as ORG_MEMBER on accepting.
    All or nothing: one refusal (someone already in the project, a deactivated member, an API key's account)
    changes nothing. A constant number of queries for the members, whatever their number.
    Returns (the new memberships, the invitations)."""
    organization = lock_organization_for(actor, catalogue.MANAGE_PROJECT_MEMBERS, project)
    emails = clean_emails(emails)
    role_names = clean_project_roles(roles)
    require_may_grant(actor, role_names, project)

    members = list(
        get_user_model()
        .objects.annotate(email_key=Lower("email"))
        .filter(organization_memberships__organization=organization, email_key__in=emails)
        .order_by("email")
    )
    refusals = [
        ("VALIDATION_ERROR", "is an API key's account; give keys access on the API Keys tab", member)
        for member in members
        if member.is_service_account
    ] + [("USER_INACTIVE", "is deactivated", member) for member in members if not member.is_active]
    if refusals:
        code, reason, member = refusals[0]
        raise ServiceError(code, f"{member.email} {reason}.", username=member.email)
    already = sorted(
        ProjectMembership.objects.filter(project=project, user__in=members).values_list(
            "user__email", flat=True
        )
    )
    if already:
        raise ServiceError(
            "USER_ALREADY_IN_GROUP",
            f"{', '.join(already)} {'is' if len(already) == 1 else 'are'} already in project {project.name}.",
            usernames=already,
        )

    memberships = []
    if members:
        ProjectMembership.objects.bulk_create(
            ProjectMembership(project=project, user=user) for user in members
        )
        memberships = list(
            ProjectMembership.objects.filter(project=project, user__in=members).select_related("user")
        )
        ProjectRole.objects.bulk_create(
            ProjectRole(membership=membership, name=name) for membership in memberships for name in role_names
        )
        sync_organization_permissions(
            organization, user_ids=[user.pk for user in members], team_ids=[], project_ids=[project.pk]
        )
        audit_events_record_bulk(
            [
                AuditEvent(
                    event_type=Event.JOINED_GROUP,
                    organization=organization,
                    project=project,
                    actor=actor,
                    actor_email=getattr(actor, "email", "") or "",
                    target_type="user",
                    target_id=user.public_id,
                    target_name=user.email[:254],
                    details={"roles": role_names},
                )
                for user in members
            ]
        )

    joined = {user.email_key for user in members}
    outsiders = [email for email in emails if email not in joined]
    invitations = []
    if outsiders:
        invitations = project_invitations_create(
            project=project, emails=outsiders, roles=role_names, actor=actor
        )
    return memberships, invitations
