"""Messages: the transactional outbox (e-mail and SMS) and its delivery."""
