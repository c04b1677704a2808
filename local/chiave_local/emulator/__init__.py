"""What stands in for AWS: template.yaml read as the deployment, moto's
resources made from it, API Gateway's proxy events and SigV4 check, Lambda's
containers and invocations, the queue pollers and schedules, the sample
events, and fault injection and call recording for the tests."""
