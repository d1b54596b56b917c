"""beneficiaries domain."""
