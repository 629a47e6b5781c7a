"""The organization's "Block support access to infrastructure" setting, and the organization settings that the
API's /orgs/{orgId}/settings changes together."""

from django.db import transaction
from django.utils import timezone

from accounts import roles
from accounts.audit import audit_event_record
from accounts.errors import ServiceError
from accounts.services import organization_settings_update
from accounts.services.locks import lock_organization_for

from ..audit import Event
from ..models import SupportAccessSetting
from ..selectors import OrganizationSettings, organization_settings


def _clean_flag(value, field) -> bool:
    if not isinstance(value, bool):
        raise ServiceError("VALIDATION_ERROR", f"{field} must be true or false.", field=field)
    return value


@transaction.atomic
def support_access_restrict_set(*, organization, restrict, actor) -> SupportAccessSetting:
    """Turn the organization's block on support staff on or off (only its owners may: CHANGE_ORGANIZATION).
    Grants already made stay; with the block off they matter only for sync data."""
    organization = lock_organization_for(actor, roles.CHANGE_ORGANIZATION, organization)
    restrict = _clean_flag(restrict, "restrictEmployeeAccess")
    setting, _ = SupportAccessSetting.objects.get_or_create(organization=organization)
    if setting.restrict_employee_access == restrict:
        return setting
    setting.restrict_employee_access = restrict
    setting.changed_by = actor
    setting.changed_by_email = getattr(actor, "email", "") or ""
    setting.changed_at = timezone.now()
    setting.save()
    audit_event_record(
        event_type=Event.ORG_EMPLOYEE_ACCESS_RESTRICTED
        if restrict
        else Event.ORG_EMPLOYEE_ACCESS_UNRESTRICTED,
        actor=actor,
        organization=organization,
        target=organization,
        details={"restrictEmployeeAccess": {"from": not restrict, "to": restrict}},
    )
    return setting


@transaction.atomic
def organization_settings_set(
    *,
    organization,
    actor,
    restrict_employee_access=None,
    api_access_list_required=None,
    multi_factor_auth_required=None,
) -> OrganizationSettings:
    """Change any of the organization's settings in one transaction (each through its own service, each
    audited): all of them change, or none."""
    organization = lock_organization_for(actor, roles.CHANGE_ORGANIZATION, organization)
    if api_access_list_required is not None or multi_factor_auth_required is not None:
        organization = organization_settings_update(
            organization=organization,
            actor=actor,
            api_access_list_required=None
            if api_access_list_required is None
            else _clean_flag(api_access_list_required, "apiAccessListRequired"),
            multi_factor_auth_required=None
            if multi_factor_auth_required is None
            else _clean_flag(multi_factor_auth_required, "multiFactorAuthRequired"),
        )
    if restrict_employee_access is not None:
        support_access_restrict_set(organization=organization, restrict=restrict_employee_access, actor=actor)
    return organization_settings(organization)
