"""SEM engine (placeholder init)."""
