"""The form renderer of every page: ``{{ form }}`` renders templates/forms/form.html and each field
templates/forms/field.html (its label, help, its own errors next to it, the input), so a refusal shows once,
beside what it refers to; errors that belong to no field show once above the fields."""

from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
