"""/orgs/{orgId}/monitoringUsers: the monitoring users attached to an organization (mLab's "MMS users");
attach, detach; and offboarding a person, portal user and monitoring user in one step."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from accessportal.api.schema import responses
from accessportal.api.views import AtlasView
from accounts import roles
from accounts import selectors as account_selectors
from monitoring import selectors, services

from .serializers import MonitoringUserAttachSerializer, MonitoringUserSerializer, OffboardingSerializer


class OrgMonitoringBase(AtlasView):
    def organization(self, org_id, need=roles.VIEW_ORGANIZATION):
        return account_selectors.access_organization(
            actor=self.request.user, organization_id=org_id, need=need
        )

    def serialize(self, organization, attachments, many=False):
        attachments = list(attachments) if many else [attachments]
        context = {"request": self.request, "people": selectors.linked_people(organization, attachments)}
        data = MonitoringUserSerializer(attachments, many=True, context=context).data
        return data if many else data[0]


class MonitoringUserListView(OrgMonitoringBase):
    @extend_schema(
        operation_id="listOrganizationMonitoringUsers",
        summary="List the monitoring users attached to an organization",
        responses=responses({200: MonitoringUserSerializer(many=True)}),
    )
    def get(self, request, org_id):
        organization = self.organization(org_id)
        return self.page(
            selectors.organization_attachments(organization),
            lambda page: self.serialize(organization, page, many=True),
        )

    @extend_schema(
        operation_id="attachOrganizationMonitoringUser",
        summary="Attach a monitoring user to an organization",
        description="Makes the monitoring user (created when unknown) a member, with groupRole, of the "
        "monitoring group of every eligible cluster of the organization, and of those of clusters created "
        "later. The admins of each of those groups are emailed. Needs the Organization Owner role.",
        request=MonitoringUserAttachSerializer,
        responses=responses({201: MonitoringUserSerializer}),
    )
    def post(self, request, org_id):
        organization = self.organization(org_id)
        data = self.validated(MonitoringUserAttachSerializer)
        linked_user = None
        if data.get("linkedUserId"):
            with account_selectors.body_reference(
                "linkedUserId",
                message=f"No user with ID {data['linkedUserId']} is a member of this organization.",
            ):
                linked_user = account_selectors.access_member(
                    actor=request.user, organization=organization, user_id=data["linkedUserId"]
                )
        attachment = services.monitoring_user_attach(
            organization=organization,
            username=data["username"],
            email=data.get("emailAddress"),
            group_role=data["groupRole"],
            linked_user=linked_user,
            actor=request.user,
        )
        attachment = selectors.access_attachment(
            actor=request.user,
            organization=organization,
            monitoring_user_id=attachment.monitoring_user.public_id,
        )
        return Response(self.serialize(organization, attachment), status=status.HTTP_201_CREATED)


class MonitoringUserDetailView(OrgMonitoringBase):
    @extend_schema(
        operation_id="getOrganizationMonitoringUser",
        summary="One monitoring user attached to an organization",
        responses=responses({200: MonitoringUserSerializer}),
    )
    def get(self, request, org_id, monitoring_user_id):
        organization = self.organization(org_id)
        attachment = selectors.access_attachment(
            actor=request.user, organization=organization, monitoring_user_id=monitoring_user_id
        )
        return Response(self.serialize(organization, attachment))

    @extend_schema(
        operation_id="detachOrganizationMonitoringUser",
        summary="Detach a monitoring user from an organization",
        description="Removes the monitoring user from EVERY monitoring group of the organization that its "
        "attachment put it in (memberships added by hand stay), and takes it off the list used for clusters "
        "created later. Removing it from a single group instead leaves this list as it was. Needs the "
        "Organization Owner role.",
        responses=responses({204: None}),
    )
    def delete(self, request, org_id, monitoring_user_id):
        organization = self.organization(org_id)
        attachment = selectors.access_attachment(
            actor=request.user, organization=organization, monitoring_user_id=monitoring_user_id
        )
        services.monitoring_user_detach(attachment=attachment, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _plan_body(plan) -> dict:
    """The offboarding plan in the report's words: what offboarding would remove."""
    attachment = plan.attachment
    return {
        "user": (
            {"id": plan.user.public_id, "username": plan.user.email} if plan.membership is not None else None
        ),
        "organizationRoles": plan.roles,
        "projects": plan.projects,
        "teams": plan.teams,
        "monitoringUserDetached": (
            {
                "id": attachment.monitoring_user.public_id,
                "username": attachment.monitoring_user.username,
                "emailAddress": attachment.monitoring_user.email,
                "groups": plan.groups,
            }
            if attachment is not None
            else None
        ),
        "warnings": plan.warnings,
    }


class OffboardingBase(OrgMonitoringBase):
    """GET: what offboarding would remove, with a warning when only one of the portal user and the monitoring
    user exists. POST: remove both in one step and report each thing removed."""

    def subject(self, organization, subject_id) -> dict:
        raise NotImplementedError

    def plan(self, org_id, subject_id):
        organization = self.organization(org_id, need=roles.MANAGE_ORGANIZATION_MEMBERS)
        subject = self.subject(organization, subject_id)
        plan = selectors.offboarding_plan(organization=organization, **subject)
        return organization, subject, plan

    def get(self, request, org_id, subject_id):
        _, _, plan = self.plan(org_id, subject_id)
        return Response(OffboardingSerializer(_plan_body(plan)).data)

    def post(self, request, org_id, subject_id):
        organization, subject, _ = self.plan(org_id, subject_id)
        report = services.person_offboard(organization=organization, actor=request.user, **subject)
        return Response(OffboardingSerializer(report).data)


class UserOffboardingView(OffboardingBase):
    def subject(self, organization, subject_id):
        user = selectors.access_offboarding_person(
            actor=self.request.user, organization=organization, user_id=subject_id
        )
        return {"user": user}

    @extend_schema(
        operation_id="getOrganizationUserOffboarding",
        summary="What offboarding a person would remove",
        description="The person's organization roles, projects and teams, and the monitoring user linked to "
        "them; warnings when only one of the two exists.",
        responses=responses({200: OffboardingSerializer}),
    )
    def get(self, request, org_id, user_id):
        return super().get(request, org_id, user_id)

    @extend_schema(
        operation_id="offboardOrganizationUser",
        summary="Offboard a person: portal user and monitoring user in one step",
        description="Removes the person's organization membership (with their teams and project roles) and "
        "detaches the monitoring user linked to them from every group, all or nothing, and reports each thing "
        "removed. Needs the Organization Owner role.",
        request=None,
        responses=responses({200: OffboardingSerializer}),
    )
    def post(self, request, org_id, user_id):
        return super().post(request, org_id, user_id)


class MonitoringUserOffboardingView(OffboardingBase):
    def subject(self, organization, subject_id):
        monitoring_user = selectors.access_monitoring_user(
            actor=self.request.user, organization=organization, monitoring_user_id=subject_id
        )
        return {"monitoring_user": monitoring_user}

    @extend_schema(
        operation_id="getOrganizationMonitoringUserOffboarding",
        summary="What offboarding the person behind a monitoring user would remove",
        responses=responses({200: OffboardingSerializer}),
    )
    def get(self, request, org_id, monitoring_user_id):
        return super().get(request, org_id, monitoring_user_id)

    @extend_schema(
        operation_id="offboardOrganizationMonitoringUser",
        summary="Offboard the person behind a monitoring user: both accounts in one step",
        description="Detaches the monitoring user from every group and removes the portal user linked to it "
        "from the organization, all or nothing, and reports each thing removed.",
        request=None,
        responses=responses({200: OffboardingSerializer}),
    )
    def post(self, request, org_id, monitoring_user_id):
        return super().post(request, org_id, monitoring_user_id)
