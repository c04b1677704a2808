"""What leaves Chiave: the outbox messages flows queue, their rendering
(e-mails, SMS), and their delivery by the notify function."""
