"""Monitoring users attached to an organization, and one monitoring group per eligible cluster (issue 6)."""
