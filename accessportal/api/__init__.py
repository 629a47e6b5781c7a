"""API plumbing that every app shares (authentication helpers such as HTTP Digest)."""
