"""What proves who a parent is: link tokens and SMS codes, passwords,
the pepper codes are hashed under, user codes."""
