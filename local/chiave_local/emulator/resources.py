"""Create the template's table, queues and SES resources in moto."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3

from chiave_local.emulator import template as tpl

ACCOUNT_ID = "123456789012"


@dataclass
class Deployment:
    endpoint_url: str
    region: str
    stack: str
    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)
    physical: dict[str, str] = field(default_factory=dict)  # logical id -> physical name

    def resolve(self, value: Any) -> Any:
        return _plain_http(tpl.resolve(value, self.refs, self.attributes))

    def serve_portal_at(self, port: int) -> None:
        """The one origin (the deployment's DomainName, CloudFront's) is, locally, the stack's own."""
        self.refs["DomainName"] = f"127.0.0.1:{port}"
        for logical_id in tpl.resources_of_type("AWS::CloudFront::Distribution"):
            self.attributes[(logical_id, "DomainName")] = f"127.0.0.1:{port}"

    def client(self, service: str) -> Any:
        # No endpoint: in-process moto (mock_aws) intercepts the default one.
        factory: Any = boto3.client
        return factory(service, endpoint_url=self.endpoint_url or None, region_name=self.region)


def _plain_http(value: Any) -> Any:
    """Locally nothing is served over TLS: the https URL of the stack's own
    origin (the pages' distribution) is its http one."""
    if isinstance(value, str):
        return value.replace("https://127.0.0.1:", "http://127.0.0.1:")
    if isinstance(value, dict):
        return {key: _plain_http(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_http(item) for item in value]
    return value


def deploy(endpoint_url: str, region: str, stack: str = "chiave-local") -> Deployment:
    from chiave_local.emulator import moto_shim  # moto's insides: only where moto runs

    moto_shim.install()
    deployment = Deployment(endpoint_url, region, stack)
    deployment.refs.update(tpl.parameter_defaults())
    deployment.refs.update(
        {
            "AWS::Region": region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::StackName": stack,
            "AWS::URLSuffix": "amazonaws.com",
        }
    )
    _create_keys(deployment)
    _create_queues(deployment)
    _create_tables(deployment)
    _create_email(deployment)
    _create_secrets(deployment)
    _create_buckets(deployment)
    deployment.serve_portal_at(3000)
    for logical_id in tpl.resources_of_type("AWS::Serverless::LayerVersion"):
        deployment.refs[logical_id] = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:layer:{logical_id}:1"
    return deployment


def _create_secrets(deployment: Deployment) -> None:
    """The pepper secret, its generated key drawn here."""
    import secrets

    manager = deployment.client("secretsmanager")
    for logical_id, resource in tpl.resources_of_type("AWS::SecretsManager::Secret").items():
        generate = resource["Properties"]["GenerateSecretString"]
        value = json.loads(generate["SecretStringTemplate"])
        value[generate["GenerateStringKey"]] = secrets.token_urlsafe(48)[: generate["PasswordLength"]]
        arn = manager.create_secret(Name=f"{deployment.stack}-{logical_id}", SecretString=json.dumps(value))[
            "ARN"
        ]
        deployment.refs[logical_id] = arn
        deployment.physical[logical_id] = arn


def _create_tables(deployment: Deployment) -> None:
    dynamodb = deployment.client("dynamodb")
    for logical_id, resource in tpl.resources_of_type("AWS::DynamoDB::Table").items():
        properties = resource["Properties"]
        name = f"{deployment.stack}-{logical_id}"
        arguments = {
            key: properties[key]
            for key in (
                "AttributeDefinitions",
                "KeySchema",
                "GlobalSecondaryIndexes",
                "BillingMode",
            )
            if key in properties
        }
        dynamodb.create_table(TableName=name, **arguments)
        ttl = properties.get("TimeToLiveSpecification")
        if ttl:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        deployment.refs[logical_id] = name
        deployment.attributes[(logical_id, "Arn")] = (
            f"arn:aws:dynamodb:{deployment.region}:{ACCOUNT_ID}:table/{name}"
        )
        deployment.physical[logical_id] = name


def _create_keys(deployment: Deployment) -> None:
    kms = deployment.client("kms")
    for logical_id, resource in tpl.resources_of_type("AWS::KMS::Key").items():
        properties = resource.get("Properties", {})
        # An asymmetric key (the sign-in's signing key) keeps its spec and usage.
        shape = {name: properties[name] for name in ("KeySpec", "KeyUsage") if name in properties}
        metadata = kms.create_key(Description=properties.get("Description", logical_id), **shape)[
            "KeyMetadata"
        ]
        if properties.get("EnableKeyRotation"):
            kms.enable_key_rotation(KeyId=metadata["KeyId"])
        deployment.refs[logical_id] = metadata["KeyId"]
        deployment.attributes[(logical_id, "Arn")] = metadata["Arn"]
        deployment.attributes[(logical_id, "KeyId")] = metadata["KeyId"]
        deployment.physical[logical_id] = metadata["Arn"]


_QUEUE_ATTRIBUTES = ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds")


def _create_queues(deployment: Deployment) -> None:
    sqs = deployment.client("sqs")
    queues = tpl.resources_of_type("AWS::SQS::Queue")
    for logical_id, resource in queues.items():
        properties = resource.get("Properties", {})
        name = f"{deployment.stack}-{logical_id}"
        attributes = {key: str(properties[key]) for key in _QUEUE_ATTRIBUTES if key in properties}
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        deployment.refs[logical_id] = url
        deployment.attributes[(logical_id, "QueueUrl")] = url
        deployment.attributes[(logical_id, "Arn")] = f"arn:aws:sqs:{deployment.region}:{ACCOUNT_ID}:{name}"
        deployment.attributes[(logical_id, "QueueName")] = name
        deployment.physical[logical_id] = url
    # Redrive policies point at other queues: set them once all exist.
    for logical_id, resource in queues.items():
        redrive = resource.get("Properties", {}).get("RedrivePolicy")
        if redrive:
            sqs.set_queue_attributes(
                QueueUrl=deployment.refs[logical_id],
                Attributes={"RedrivePolicy": json.dumps(deployment.resolve(redrive))},
            )


def _create_buckets(deployment: Deployment) -> None:
    """Every bucket: by the name the template gives (the import bucket), or
    one made as CloudFormation would (the pages' bucket, where the public list goes)."""
    s3 = deployment.client("s3")
    for logical_id, resource in tpl.resources_of_type("AWS::S3::Bucket").items():
        given = resource.get("Properties", {}).get("BucketName")
        name = deployment.resolve(given) if given else f"{deployment.stack}-{logical_id}".lower()
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": deployment.region})
        deployment.refs[logical_id] = name
        deployment.physical[logical_id] = name
        deployment.attributes[(logical_id, "Arn")] = f"arn:aws:s3:::{name}"


def _create_email(deployment: Deployment) -> None:
    sesv2 = deployment.client("sesv2")
    for logical_id in tpl.resources_of_type("AWS::SES::ConfigurationSet"):
        name = f"{deployment.stack}-{logical_id}"
        sesv2.create_configuration_set(ConfigurationSetName=name)
        deployment.refs[logical_id] = name
        deployment.physical[logical_id] = name
    for logical_id, resource in tpl.resources_of_type("AWS::SES::EmailIdentity").items():
        identity = deployment.resolve(resource["Properties"]["EmailIdentity"])
        sesv2.create_email_identity(EmailIdentity=identity)
        deployment.refs[logical_id] = identity
        deployment.physical[logical_id] = identity
