"""template.yaml, read once: functions, their API events and environment,
and the resources the local stack creates. Nothing here is a second
definition of the application: every name comes from the template."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE_PATH = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (!Ref, !GetAtt, !Sub...)."""


def _tag_constructor(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag_constructor)


@cache
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(TEMPLATE_PATH.read_text("utf-8"), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    return loaded


def resources_of_type(resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template()["Resources"].items()
        if resource["Type"] == resource_type
    }


# The API of SPEC §3 (under /v1) and the sign-in's (under /oidc): CloudFront
# routes each path prefix to its own.
API = "ChiaveApi"
PROVIDER_API = "ProviderApi"


@dataclass(frozen=True)
class ApiRoute:
    function_id: str
    method: str
    path: str  # as in the template: /schools/{school}/registrations
    # Auth: Authorizer: AWS_IAM (the internal routes): SigV4-signed calls only.
    iam: bool = False
    api: str = "ChiaveApi"  # the RestApiId's logical id

    @property
    def provider(self) -> bool:
        """The sign-in's OpenID Connect endpoints: OAuth's errors, not problem documents."""
        return self.api == PROVIDER_API

    @property
    def pattern(self) -> re.Pattern[str]:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path))
        return re.compile(f"^{regex}$")


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_dir: Path
    module: str
    attribute: str
    environment: dict[str, Any]  # unresolved: values may be intrinsics
    routes: tuple[ApiRoute, ...]
    queue_sources: tuple[str, ...]  # logical ids of SQS queues it consumes
    # How many batches its SQS event sources hand it at once (ScalingConfig).
    queue_concurrency: int = 1
    timeout_s: int = 3  # Lambda's defaults, unless the template says otherwise
    memory_mb: int = 128
    # Seconds between runs of an EventBridge `rate(...)` schedule, if it has one.
    every_s: int | None = None
    # S3 ObjectCreated sources: (bucket logical id, key prefix, key suffix).
    uploads: tuple[tuple[str, str, str], ...] = ()

    def sample_event(self, route: ApiRoute) -> str:
        """The name of a route's sample in events/: the function's folder, and
        the route's last path segment when the function serves several (or,
        where two end alike, the first segment where they differ)."""
        if len(self.routes) == 1:
            return self.code_dir.name
        if len({route.path for route in self.routes}) == 1:  # one path: the first method's, then by method
            first = self.routes[0]
            return self.code_dir.name if route == first else f"{self.code_dir.name}_{route.method.lower()}"
        last = route.path.rsplit("/", 1)[-1]
        alike = [other.path.split("/") for other in self.routes if other.path.rsplit("/", 1)[-1] == last]
        if len(alike) > 1:  # the same last segment (a .well-known name): the first that differs
            mine = route.path.split("/")
            differs = (i for i, part in enumerate(mine) if any(i >= len(o) or o[i] != part for o in alike))
            last = mine[next(differs)]
        return f"{self.code_dir.name}_{last}"


def global_environment() -> dict[str, Any]:
    """Globals.Function.Environment: what every function's process starts with."""
    variables: dict[str, Any] = (
        template().get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    )
    return variables


def _function_setting(properties: dict[str, Any], name: str, default: Any) -> Any:
    """A function's own setting, else the Globals', else Lambda's default."""
    return properties.get(name, template().get("Globals", {}).get("Function", {}).get(name, default))


def functions() -> dict[str, FunctionSpec]:
    specs = {}
    for logical_id, resource in resources_of_type("AWS::Serverless::Function").items():
        properties = resource["Properties"]
        module, attribute = _function_setting(properties, "Handler", "app.handler").rsplit(".", 1)
        environment = {
            **global_environment(),
            **properties.get("Environment", {}).get("Variables", {}),
        }
        routes, queues, queue_concurrency, every_s, uploads = [], [], 1, None, []
        for event in properties.get("Events", {}).values():
            if event["Type"] == "Api":
                routes.append(
                    ApiRoute(
                        logical_id,
                        event["Properties"]["Method"].upper(),
                        event["Properties"]["Path"],
                        iam=event["Properties"].get("Auth", {}).get("Authorizer") == "AWS_IAM",
                        api=event["Properties"]["RestApiId"]["Ref"],
                    )
                )
            elif event["Type"] == "S3":
                rules = event["Properties"].get("Filter", {}).get("S3Key", {}).get("Rules", [])
                by_name = {rule["Name"]: rule["Value"] for rule in rules}
                bucket = event["Properties"]["Bucket"]["Ref"]
                uploads.append((bucket, by_name.get("prefix", ""), by_name.get("suffix", "")))
            elif event["Type"] == "Schedule":
                every_s = rate_seconds(event["Properties"]["Schedule"])
            elif event["Type"] == "SQS":
                queues.append(event["Properties"]["Queue"]["Fn::GetAtt"][0])
                scaling = event["Properties"].get("ScalingConfig", {})
                queue_concurrency = int(scaling.get("MaximumConcurrency", 2))
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id,
            code_dir=ROOT / properties["CodeUri"],
            module=module,
            attribute=attribute,
            environment=environment,
            routes=tuple(routes),
            queue_sources=tuple(queues),
            queue_concurrency=queue_concurrency,
            timeout_s=int(_function_setting(properties, "Timeout", 3)),
            memory_mb=int(_function_setting(properties, "MemorySize", 128)),
            every_s=every_s,
            uploads=tuple(uploads),
        )
    return specs


_RATE_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}


def rate_seconds(expression: str) -> int:
    """`rate(15 minutes)` -> 900 (the only schedule form the template uses)."""
    value, unit = expression.removeprefix("rate(").removesuffix(")").split()
    return int(value) * _RATE_UNITS[unit]


def api_samples(provider: bool = False) -> list[tuple[str, str]]:
    """(function logical id, sample event name) of every API route of SPEC §3
    (or, with `provider`, of the sign-in's OpenID Connect endpoints)."""
    return sorted(
        (spec.logical_id, spec.sample_event(route))
        for spec in functions().values()
        for route in spec.routes
        if route.provider == provider
    )


def api_routes(api: str | None = None) -> list[ApiRoute]:
    """Every API route, or those of one API (its logical id)."""
    return [route for spec in functions().values() for route in spec.routes if api in (None, route.api)]


def api_stage(api: str = API) -> str:
    return str(template()["Resources"][api]["Properties"]["StageName"])


@dataclass(frozen=True)
class GatewayResponse:
    status: int
    headers: dict[str, str]
    body: str


def gateway_responses(
    api: str = API, resolve: Callable[[Any], Any] = lambda value: value
) -> dict[str, GatewayResponse]:
    """An API's GatewayResponses: what API Gateway itself answers (header
    values given by an intrinsic only once `resolve`d)."""
    responses = {}
    for kind, spec in template()["Resources"][api]["Properties"].get("GatewayResponses", {}).items():
        headers = {
            name: resolve(value)
            for name, value in spec.get("ResponseParameters", {}).get("Headers", {}).items()
        }
        responses[kind] = GatewayResponse(
            status=int(spec["StatusCode"]),
            headers={name: value.strip("'") for name, value in headers.items() if isinstance(value, str)},
            body=spec["ResponseTemplates"]["application/json"],
        )
    return responses


def parameter_defaults() -> dict[str, str]:
    return {name: str(spec.get("Default", "")) for name, spec in template().get("Parameters", {}).items()}


def holds(condition: str, refs: dict[str, str], attributes: dict[tuple[str, str], str]) -> bool:
    """A condition of the template's Conditions, with the parameters as deployed."""

    def evaluate(expression: Any) -> bool:
        ((name, argument),) = expression.items()
        if name == "Fn::Equals":
            left, right = (resolve(item, refs, attributes) for item in argument)
            return bool(left == right)
        if name == "Fn::Not":
            return not evaluate(argument[0])
        if name == "Fn::And":
            return all(evaluate(item) for item in argument)
        if name == "Fn::Or":
            return any(evaluate(item) for item in argument)
        if name == "Condition":
            return holds(argument, refs, attributes)
        raise ValueError(f"a condition the local stack does not evaluate: {name}")

    return evaluate(template()["Conditions"][condition])


def resolve(value: Any, refs: dict[str, str], attributes: dict[tuple[str, str], str]) -> Any:
    """Evaluate the few intrinsics the template uses, given physical names."""
    if isinstance(value, dict) and len(value) == 1:
        ((name, argument),) = value.items()
        if name == "Ref":
            return refs[argument]
        if name == "Fn::GetAtt":
            return attributes[(argument[0], argument[1])]
        if name == "Fn::If":
            condition, chosen, otherwise = argument
            branch = chosen if holds(condition, refs, attributes) else otherwise
            return resolve(branch, refs, attributes)
        if name == "Fn::Sub":

            def substitute(match: re.Match[str]) -> str:
                token = match.group(1)
                if "." in token:
                    logical, attribute = token.split(".", 1)
                    return attributes[(logical, attribute)]
                return refs[token]

            return re.sub(r"\$\{([^}]+)\}", substitute, argument)
    if isinstance(value, dict):
        return {key: resolve(item, refs, attributes) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, refs, attributes) for item in value]
    return value
