"""Reading configuration YAML safely (SPEC §9): bounded size, no aliases, no duplicate keys.

- Size: a file is read up to ``bounds.CONFIG_MAX_BYTES``; anything longer (``/dev/zero`` included)
  is refused before it is parsed.
- Aliases (``*name``) are refused: a 600-byte "billion laughs" document expanded to gigabytes. A
  configuration file has no use for them (write each committee out, or use a preset).
- Duplicate keys are refused, naming the key and both lines: YAML keeps the last silently, so a second
  ``committees: []`` dropped every committee declared above it.
- Booleans are YAML 1.2's: only true/false, so ``holidays: NO`` (Norway) and a timeline's ``off:``
  key stay text.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode

from bot.core.bounds import CONFIG_MAX_BYTES


class FileTooLarge(ValueError):
    """The file is longer than ``CONFIG_MAX_BYTES``."""


class SafeLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader without aliases or duplicate keys, with YAML 1.2 booleans."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise ConstructorError(
                None,
                None,
                f"alias *{event.anchor} is not allowed (write the value out in full)",
                event.start_mark,
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    first_line = seen.get(key)
                except TypeError:  # an unhashable key: SafeLoader says so itself below
                    continue
                line = key_node.start_mark.line + 1
                if first_line is not None:
                    raise ConstructorError(
                        None,
                        None,
                        f'duplicate key "{key}" on line {line} (first on line {first_line}; each key once)',
                        key_node.start_mark,
                    )
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


SafeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
SafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def read_bounded(path: str | Path, *, limit: int = CONFIG_MAX_BYTES) -> str:
    """The text of ``path`` (UTF-8), read up to ``limit`` bytes; FileTooLarge beyond.

    Raises OSError and UnicodeDecodeError as reading does."""
    with open(path, "rb") as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(f"the file is larger than {limit // 1000} KB (allowed: up to {limit // 1000} KB)")
    return data.decode("utf-8")


def load(text: str) -> Any:
    """Parse one YAML document with ``SafeLoader``; raises yaml.YAMLError."""
    return yaml.load(text, Loader=SafeLoader)  # a SafeLoader subclass: safe
