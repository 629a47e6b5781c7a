"""The staff console: least-privilege staff roles, Django groups made by this app's migrations and kept by
``manage.py staff_roles``. It uses accounts, monitoring and support; none of them knows it."""
