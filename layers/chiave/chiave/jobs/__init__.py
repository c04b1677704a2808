"""Console actions and batch jobs, one module per function (functions/X ->
chiave.jobs.X): what ops run from the AWS console, and what queues,
schedules, uploads and SES events start."""
