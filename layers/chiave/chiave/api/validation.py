"""Request validation from a route's own annotations.

A route declares its path parameters' types and its body model in its
signature; `validated` checks them with pydantic when a request arrives and
calls the route with the validated values. Powertools' OpenAPI generator
reads the same signature (`make openapi`), so the models stay the one
definition of every body, while a cold start builds none of Powertools'
OpenAPI machinery (`enable_validation=True` built it at import: about 20 ms
per function, docs/PERFORMANCE.md). Failures are Powertools'
RequestValidationError, each error located as its own validator locates it
(`("body", field)`, `("path", name)`), so the problem documents are unchanged
(tests/integration/test_problem_documents.py)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar, get_type_hints

from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import BaseModel, TypeAdapter, ValidationError

from chiave.api.resolver import HasEvent
from chiave.runtime import coldstart

Route = TypeVar("Route", bound=Callable[..., Any])


@functools.cache
def _adapter(annotation: Any) -> TypeAdapter[Any]:
    """Built on the first request that needs it, once per container."""
    return TypeAdapter(annotation)


def _missing(loc: tuple[str, ...]) -> dict[str, Any]:
    return {"type": "missing", "loc": loc, "msg": "Field required", "input": None}


def _located(error: ValidationError, prefix: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{**detail, "loc": (*prefix, *detail["loc"])} for detail in error.errors()]


def _body_parameter(hints: dict[str, Any], names: list[str]) -> str | None:
    bodies = [name for name in names if inspect.isclass(hints[name]) and issubclass(hints[name], BaseModel)]
    if len(bodies) > 1:
        raise TypeError(f"a route takes at most one body model, not {bodies}")
    return bodies[0] if bodies else None


def validated(router: HasEvent) -> Callable[[Route], Route]:
    """Validate a route's path parameters and JSON body (already known to
    parse: chiave.api.resolver.refuse_unreadable_body) before calling it."""

    def decorate(route: Route) -> Route:
        hints = get_type_hints(route, include_extras=True)
        signature = inspect.signature(route)
        names = list(signature.parameters)
        body_name = _body_parameter(hints, names)
        path_names = [name for name in names if name != body_name]

        @coldstart.on_warm_up
        def build_validators() -> None:
            for name in path_names:
                _adapter(hints[name])

        @functools.wraps(route)
        def validate_then_call(**path_values: str) -> Any:
            values: dict[str, Any] = {}
            errors: list[dict[str, Any]] = []
            for name in path_names:
                if path_values.get(name) is None:
                    errors.append(_missing(("path", name)))
                    continue
                try:
                    values[name] = _adapter(hints[name]).validate_python(path_values[name])
                except ValidationError as error:
                    errors += _located(error, ("path", name))
            if body_name is not None:
                body = router.current_event.json_body
                if body is None:
                    errors.append(_missing(("body",)))
                else:
                    try:
                        # from_attributes: the error types Powertools' validator gave.
                        values[body_name] = hints[body_name].model_validate(body, from_attributes=True)
                    except ValidationError as error:
                        errors += _located(error, ("body",))
            if errors:
                raise RequestValidationError(errors)
            return route(**values)

        # Resolved annotations: the OpenAPI generator evaluates them in this
        # module's namespace, not the route's.
        validate_then_call.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[
                parameter.replace(annotation=hints[parameter.name])
                for parameter in signature.parameters.values()
            ],
            return_annotation=hints.get("return", inspect.Signature.empty),
        )
        return validate_then_call  # type: ignore[return-value]

    return decorate
