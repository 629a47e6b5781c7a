"""Requests to join a project: a signed-in user asks, its GROUP_OWNER or GROUP_USER_ADMIN decides."""

from contextlib import suppress
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts import roles as catalogue
from accounts.audit import audit_event_record
from accounts.errors import ServiceError
from accounts.models import AuditEvent, JoinAsk, JoinRequest, OutboundEmail, Project, ProjectMembership
from accounts.permissions import actor_may, require_may_grant
from accounts.selectors.access import join_request_label

from ._rules import clean_project_roles
from .emails import email_queue, emails_queue_bulk
from .locks import lock_organization, lock_organization_for
from .members import add_to_project

Event = AuditEvent.Type


@transaction.atomic
def join_request_create(*, project, user, message="") -> JoinRequest:
    """A signed-in person asks to join a project: a member of its organization, or anyone given its id (as Cloud
    Manager lets a newly registered person ask). Someone outside the organization learns nothing of the project
    from the answers, not even its name; someone who already reaches it is told how."""
    lock_organization(project.organization)
    if ProjectMembership.objects.filter(project=project, user=user).exists():
        raise ServiceError("USER_ALREADY_IN_GROUP", f"You are already a member of project {project.name}.")
    if actor_may(user, catalogue.VIEW_PROJECT, project):
        raise ServiceError(
            "USER_ALREADY_IN_GROUP",
            f"You already reach project {project.name} through your organization role or a team.",
        )
    if JoinRequest.objects.filter(project=project, user=user, status=JoinRequest.Status.PENDING).exists():
        named = project.name if actor_may(user, catalogue.VIEW_ORGANIZATION, project.organization) else None
        raise ServiceError(
            "JOIN_REQUEST_PENDING",
            f"You have already asked to join project {named or project.public_id}.",
        )
    join_request = JoinRequest.objects.create(project=project, user=user, message=(message or "")[:500])
    audit_event_record(
        event_type=Event.REQUESTED_TO_JOIN_GROUP,
        actor=user,
        project=project,
        target=user,
        details={"message": join_request.message} if join_request.message else None,
    )
    _email_deciders(join_request)
    return join_request


def _deciders(project) -> list:
    """Who is asked: the project's owners (own role or a team's); when it has none of its own, the owners of
    its organization."""
    from accounts.selectors import reach

    people = reach.project_reach(project, reach.people_reaching_project(project, organization=False))
    owners = [row.user for row in people if catalogue.GROUP_OWNER in row.roles and row.user.is_active]
    if owners:
        return owners
    return list(
        get_user_model().objects.filter(
            is_active=True,
            is_service_account=False,
            organization_memberships__organization_id=project.organization_id,
            organization_memberships__roles__name=catalogue.ORG_OWNER,
        )
    )


def _email_deciders(join_request):
    project = join_request.project
    context = {
        "requester": join_request.user.email,
        "project": project.name,
        "project_id": project.public_id,
        "organization": project.organization.name,
        "message": join_request.message,
    }
    emails_queue_bulk(
        [
            (
                OutboundEmail(
                    to=person.email,
                    subject=f"{join_request.user.email} asks to join {project.name}"[:255],
                    template="accounts/email/join_request",
                    context=context,
                ),
                None,
            )
            for person in _deciders(project)
        ]
    )


def _email_decision(join_request, approved: bool):
    project, user = join_request.project, join_request.user
    name = project.name if approved else join_request_label(user, project)
    email_queue(
        to=user.email,
        subject=f"Your request to join {name} was {'approved' if approved else 'denied'}",
        template="accounts/email/join_request_decided",
        context={
            "approved": approved,
            "project": name,
            "project_id": project.public_id,
            "organization": project.organization.name if approved else "",
        },
    )


def _locked_pending_request(join_request, actor) -> JoinRequest:
    lock_organization_for(actor, catalogue.MANAGE_PROJECT_MEMBERS, join_request.project)
    join_request = (
        JoinRequest.objects.select_for_update(of=("self",))
        .select_related("project", "user")
        .get(pk=join_request.pk)
    )
    if join_request.status != JoinRequest.Status.PENDING:
        raise ServiceError(
            "JOIN_REQUEST_DECIDED",
            f"This request was already {join_request.status.lower()}.",
            status=join_request.status,
        )
    return join_request


@transaction.atomic
def join_request_approve(*, join_request, actor, roles=(catalogue.DEFAULT_PROJECT_ROLE,)) -> JoinRequest:
    """Approve (GROUP_OWNER or GROUP_USER_ADMIN): the user joins with ``roles`` (Project Read Only unless the
    approver picks others, which they must be allowed to grant), and the organization as ORG_MEMBER if
    needed."""
    join_request = _locked_pending_request(join_request, actor)
    role_names = clean_project_roles(roles)
    require_may_grant(actor, role_names, join_request.project)
    add_to_project(
        project=join_request.project,
        user=join_request.user,
        role_names=role_names,
        actor=actor,
        details={"joinRequestId": join_request.public_id},
    )
    join_request = _decide(
        join_request, JoinRequest.Status.APPROVED, Event.JOIN_GROUP_REQUEST_APPROVED, actor
    )
    _email_decision(join_request, approved=True)
    return join_request


@transaction.atomic
def join_request_deny(*, join_request, actor) -> JoinRequest:
    join_request = _locked_pending_request(join_request, actor)
    join_request = _decide(join_request, JoinRequest.Status.DENIED, Event.JOIN_GROUP_REQUEST_DENIED, actor)
    _email_decision(join_request, approved=False)
    return join_request


def _decide(join_request, status, event_type, actor):
    join_request.status = status
    join_request.decided_at = timezone.now()
    join_request.decided_by = actor
    join_request.save(update_fields=["status", "decided_at", "decided_by"])
    audit_event_record(
        event_type=event_type, actor=actor, project=join_request.project, target=join_request.user
    )
    return join_request


def join_ask_record(*, user, project_id, message="") -> JoinAsk:
    """Record that ``user`` asks to join the project ``project_id`` names, whatever it names: one INSERT, the
    same work and the same answer for a missing id and for another tenant's project, so that asking reveals
    nothing (issue 11). The beat job makes a join request of it within a minute when the id names a project
    (``join_asks_process``); its owners decide, and the asker hears their decision by email. At most
    ``JoinAsk.MAX_PER_DAY`` asks a person a day (one query more, the same for every id)."""
    since = timezone.now() - timedelta(days=1)
    if JoinAsk.objects.filter(user=user, created_at__gte=since).count() >= JoinAsk.MAX_PER_DAY:
        raise ServiceError(
            "VALIDATION_ERROR",
            f"You have asked to join {JoinAsk.MAX_PER_DAY} projects in a day; try again tomorrow.",
            field="project_id",
        )
    return JoinAsk.objects.create(
        user=user, project_public_id=str(project_id)[:24], message=(message or "")[:500]
    )


def join_asks_process(*, now=None, batch=500) -> int:
    """Beat, every minute: each ask not yet processed becomes a join request when its id names a project (the
    join request service decides, with its own refusals: already a member, already asked); an id that names
    nothing is only marked processed. Rows are claimed with SKIP LOCKED, so two copies share the work. Returns
    how many asks were processed."""
    now = now or timezone.now()
    with transaction.atomic():
        asks = list(
            JoinAsk.objects.select_for_update(skip_locked=True)
            .filter(processed_at__isnull=True)
            .select_related("user")
            .order_by("created_at")[:batch]
        )
        if not asks:
            return 0
        JoinAsk.objects.filter(pk__in=[ask.pk for ask in asks]).update(processed_at=now)
    projects = {
        project.public_id: project
        for project in Project.objects.select_related("organization").filter(
            public_id__in={ask.project_public_id for ask in asks}
        )
    }
    for ask in asks:
        project = projects.get(ask.project_public_id)
        if project is None or not ask.user.is_active:
            continue
        with suppress(ServiceError):  # already a member or already asked: nothing to ask the owners
            join_request_create(project=project, user=ask.user, message=ask.message)
    return len(asks)
