"""booklets domain."""
