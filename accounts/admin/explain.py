"""Explain access on the admin's change pages: what a user reaches and why, who reaches a cluster and why
(``accounts.selectors.explain``), each subject linked to its own admin page."""

from django.contrib import admin
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

from ..models import ApiKey, Cluster, Project, User
from ..selectors.explain import cluster_access, user_access


def _label(subject) -> str:
    if isinstance(subject, User):
        return subject.email if subject.is_active else f"{subject.email} (inactive)"
    if isinstance(subject, Cluster):
        return f"{subject.project.organization.name} / {subject.project.name} / {subject.name}"
    if isinstance(subject, Project):
        return f"{subject.organization.name} / {subject.name}"
    if isinstance(subject, ApiKey) and subject.is_disabled:
        return f"{subject} (disabled)"
    return str(subject)


def _url(subject) -> str | None:
    model = type(subject)
    if model not in admin.site._registry:
        return None
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[subject.pk])
    except NoReverseMatch:
        return None


def render_sections(sections) -> str:
    """The sections as tables (a template, so every value is escaped)."""
    rows = [
        {
            "title": section.title,
            "note": section.note,
            "entries": [
                {
                    "label": _label(entry.subject),
                    "url": _url(entry.subject),
                    "reasons": entry.reasons,
                    "roles": entry.role_labels,
                    "until": entry.until,
                }
                for entry in section.entries
            ],
        }
        for section in sections
    ]
    return render_to_string("admin/staff/explain.html", {"sections": rows})  # already safe: autoescaped


def explain_user(user) -> str:
    return render_sections(user_access(user).sections)


def explain_cluster(cluster) -> str:
    return render_sections(cluster_access(cluster).sections)
