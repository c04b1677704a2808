"""The demo of `make run`: the seeded school and its people, the parents'
pages served as CloudFront would, and the mailbox of what was sent."""
