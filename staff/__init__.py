"""The staff console: least-privilege staff roles (Django groups made by a migration) and what only staff do
in the admin (exports). It uses accounts, monitoring and support; none of them knows it."""
