"""Shared helpers: database units of work, clock, formatting, signing, codes."""
