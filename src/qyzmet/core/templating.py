"""Filling `{dotted.path}` placeholders in texts written by service designers.

Deliberately not str.format: a package author must not reach object attributes, only values
in the context dictionary. Unknown placeholders stay visible instead of failing silently."""

from __future__ import annotations

import re
from typing import Any

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\}")


def lookup(context: dict[str, Any], path: str) -> Any:
    node: Any = context
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def text_render(template: str, context: dict[str, Any]) -> str:
    def replace(match: re.Match[str]) -> str:
        value = lookup(context, match.group(1))
        return match.group(0) if value is None else str(value)

    return PLACEHOLDER.sub(replace, template)


def placeholders(template: str) -> list[str]:
    return PLACEHOLDER.findall(template)
