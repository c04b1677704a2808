"""Metadata policies (OpenID Federation 1.0 §6.1): what a superior imposes
on the metadata of the entities below it. The SPID/CIE profile uses the
standard operators, all seven here: `value`, `add`, `default`, `one_of`,
`subset_of`, `superset_of`, `essential`. The policies of a chain are
combined from the trust anchor down (a superior's word is never loosened
below it), then applied to the leaf's metadata once, in the operators'
order. A policy that cannot hold raises PolicyError: the chain is refused."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

ORDER = ("value", "add", "default", "one_of", "subset_of", "superset_of", "essential")
Policy = dict[str, dict[str, dict[str, Any]]]  # entity type -> parameter -> operator -> value


class PolicyError(Exception):
    """A metadata policy that cannot be combined or met."""


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _combine_operator(operator: str, upper: Any, lower: Any) -> Any:
    if operator in ("value", "default"):
        if upper != lower:
            raise PolicyError(f"{operator}: {upper!r} above, {lower!r} below")
        return upper
    if operator in ("add", "superset_of"):
        return upper + [item for item in lower if item not in upper]
    if operator in ("one_of", "subset_of"):
        both = [item for item in upper if item in lower]
        if not both:
            raise PolicyError(f"{operator}: nothing both allow")
        return both
    if operator == "essential":
        return bool(upper) or bool(lower)
    raise PolicyError(f"an operator this chain may not use: {operator}")


def combine(policies: Iterable[Policy]) -> Policy:
    """The policies of a chain, the trust anchor's first, as one."""
    combined: Policy = {}
    for policy in policies:
        for entity_type, parameters in policy.items():
            into = combined.setdefault(entity_type, {})
            for parameter, operators in parameters.items():
                current = into.setdefault(parameter, {})
                for operator, value in operators.items():
                    if operator not in ORDER:
                        raise PolicyError(f"an operator this chain may not use: {operator}")
                    current[operator] = (
                        _combine_operator(operator, current[operator], value)
                        if operator in current
                        else value
                    )
    return combined


def apply(policy: dict[str, dict[str, Any]], metadata: dict[str, Any]) -> dict[str, Any]:
    """One entity type's metadata, as its policy makes it."""
    result = dict(metadata)
    for parameter, operators in policy.items():
        for operator in ORDER:
            if operator not in operators:
                continue
            rule = operators[operator]
            present = parameter in result
            if operator == "value":
                if rule is None:
                    result.pop(parameter, None)
                else:
                    result[parameter] = rule
            elif operator == "add":
                result[parameter] = _as_list(result.get(parameter, [])) + [
                    item for item in _as_list(rule) if item not in _as_list(result.get(parameter, []))
                ]
            elif operator == "default" and not present:
                result[parameter] = rule
            elif operator == "one_of" and present and result[parameter] not in rule:
                raise PolicyError(f"{parameter}: {result[parameter]!r} is not one of {rule!r}")
            elif operator == "subset_of" and present:
                kept = [item for item in _as_list(result[parameter]) if item in rule]
                if kept:
                    result[parameter] = kept
                else:
                    result.pop(parameter)
            elif operator == "superset_of" and present:
                missing = [item for item in rule if item not in _as_list(result[parameter])]
                if missing:
                    raise PolicyError(f"{parameter}: lacks {missing!r}")
            elif operator == "essential" and rule and parameter not in result:
                raise PolicyError(f"{parameter} is essential and missing")
    return result
