"""Service accounts on the customer pages: listed on the organization's API Keys tab (their management is the
Atlas Administration API's, /orgs/{orgId}/serviceAccounts, and the admin's)."""

from accounts import roles
from accounts.permissions import actor_may
from accounts.views.pages import paginate, search_term

from .models import ServiceAccount
from .selectors import with_details

TEMPLATE = "serviceaccounts/api_keys_section.html"


def api_keys_section(request, organization):
    """The organization's service accounts (name, client id, roles, secrets and when they expire, last use) for
    those who may manage its keys, 50 a page (``sa_page``), found by the tab's search too: four queries."""
    if not actor_may(request.user, roles.MANAGE_API_KEYS, organization):
        return None
    accounts = ServiceAccount.objects.filter(organization=organization).order_by("name", "pk")
    term = search_term(request)
    if term:
        accounts = accounts.filter(name__icontains=term) | accounts.filter(client_id__icontains=term)
    page = paginate(request, with_details(accounts, organization), param="sa_page")
    rows = [
        (
            account,
            sorted(
                role.name
                for membership in account.user.visible_organization_memberships
                for role in membership.roles.all()
            ),
        )
        for account in page
    ]
    return TEMPLATE, {"page": page, "rows": rows, "term": term}
