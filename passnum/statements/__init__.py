"""statements domain."""
