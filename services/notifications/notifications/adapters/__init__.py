"""Channel adapters: the I/O that delivers a message (SMTP, HTTP)."""
