"""What every function runs on: AWS clients, the invocation's time budget,
the one mapping of AWS failures, cold start, SQS consumers, logs and
metrics, settings, and the masking of personal data in logs."""
