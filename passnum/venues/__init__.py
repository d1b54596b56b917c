"""venues domain."""
