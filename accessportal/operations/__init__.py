"""Running the portal in production: health checks, structured logs, metrics and error reports."""
