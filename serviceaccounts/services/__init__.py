"""Every write of service accounts: their lifecycle (``accounts``) and OAuth tokens (``tokens``)."""
