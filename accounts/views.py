"""Customers' pages."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import selectors


@login_required
def home(request):
    return render(
        request, "accounts/home.html", {"organizations": selectors.organizations_overview(request.user)}
    )
