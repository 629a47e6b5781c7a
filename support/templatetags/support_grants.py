"""Template filters of support access (``{% load support_grants %}``)."""

import math

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def time_left(grant, now=None) -> str:
    """What is left of a support access grant until its ``expires_at``, as Atlas's timer shows it: "23 h 12 min"
    (rounded up to the minute), "less than a minute", or "none" once it has expired or ended:
    ``{{ grant|time_left }}``. Pages and admin messages that are not templates call it as a function."""
    seconds = (grant.expires_at - (now or timezone.now())).total_seconds()
    if seconds <= 0 or grant.status != grant.Status.ACTIVE:
        return "none"
    if seconds < 60:
        return "less than a minute"
    hours, minutes = divmod(math.ceil(seconds / 60), 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
