"""Template tags of the page plumbing (``{% load pages %}``)."""

from django import template

from accounts import roles

register = template.Library()


@register.filter
def role_label(name):
    """A role's human name ("ORG_OWNER" → "Organization Owner"); anything else as it is."""
    role = roles.ORGANIZATION_ROLES.get(name) or roles.PROJECT_ROLES.get(name)
    return role.label if role else name


@register.filter
def role_labels(names):
    """Role names as one line of human names: ``{{ membership.role_names|role_labels }}``."""
    return ", ".join(role_label(name) for name in names)


@register.simple_tag(takes_context=True)
def page_url(context, page, number):
    """The current address with ``page``'s parameter (``page.param``, "page" by default) set to ``number`` and
    every other parameter (the search ``q``, filters) kept: the links of ``includes/pagination.html``."""
    query = context["request"].GET.copy()
    query[getattr(page, "param", "page")] = number
    return f"?{query.urlencode()}"


@register.simple_tag(takes_context=True)
def query_value(context, param):
    """The current value of the query parameter ``param`` (a search box shows what was searched)."""
    return context["request"].GET.get(param, "")
