"""make bench: cold start per function and AWS calls per flow."""
