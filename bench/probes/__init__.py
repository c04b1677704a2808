"""Scripts the bench runs in a fresh interpreter (under the Lambda runtime's
Python when the machine has it), never imported by it."""
