"""Admin actions that change something ask first: a page lists what the action will touch and says what it
does, and only its "Yes" (a plain form post: no JavaScript needed) runs the action."""

from functools import wraps

from django.contrib.admin import helpers
from django.template.response import TemplateResponse

CONFIRMED = "confirmed"


def confirm_first(consequence: str, form=None):
    """Decorate an admin action (under ``@admin.action``): ``consequence`` says what it will do. With ``form`` (a
    form class), the page asks for its fields too (a reason, say): the action runs only once they are valid, and
    gets them as keyword arguments (``action(modeladmin, request, queryset, **form.cleaned_data)``); invalid,
    the page comes back with the errors next to the fields and nothing is done."""

    def decorator(action):
        @wraps(action)
        def confirmed_action(modeladmin, request, queryset):
            asked = None
            if request.POST.get(CONFIRMED) == "yes":
                if form is None:
                    return action(modeladmin, request, queryset)
                asked = form(request.POST)
                if asked.is_valid():
                    return action(modeladmin, request, queryset, **asked.cleaned_data)
            elif form is not None:
                asked = form()
            opts = modeladmin.model._meta
            context = {
                **modeladmin.admin_site.each_context(request),
                "title": f"{getattr(confirmed_action, 'short_description', action.__name__)}?",
                "subtitle": None,
                "opts": opts,
                "app_label": opts.app_label,
                "consequence": consequence,
                "objects": list(queryset[:100]),
                "count": queryset.count(),
                "pks": [str(pk) for pk in queryset.values_list("pk", flat=True)],
                "action_name": action.__name__,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "confirmed_field": CONFIRMED,
                "form": asked,
            }
            return TemplateResponse(request, "admin/staff/confirm_action.html", context)

        return confirmed_action

    return decorator
