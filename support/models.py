"""The organization's block on support staff and temporary per-cluster grants (issue 7)."""
