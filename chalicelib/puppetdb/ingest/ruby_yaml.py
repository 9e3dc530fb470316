"""Reading the Ruby-tagged YAML Puppet writes (`reports = store`, `last_run_report.yaml`).

Puppet dumps objects with Ruby's Psych: `--- !ruby/object:Puppet::Transaction::Report`
at the top and, in older versions, on nested objects too (`!ruby/object:Puppet::Util::Log`,
`!ruby/sym info`, `!binary`). Tags become plain mappings, strings and sequences; the top
tag is returned so the caller can tell a report from other YAML. Implicit timestamps stay
strings: YAML's timestamp type would drop Puppet's nanoseconds and its offset.
"""
from __future__ import annotations

import base64

import yaml

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)     # libyaml when it is there


class RubyLoader(_Base):
    pass


RubyLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _untagged(loader: RubyLoader, suffix: str, node: yaml.Node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


def _binary(loader: RubyLoader, node: yaml.Node) -> str:
    return base64.b64decode(loader.construct_scalar(node)).decode("utf-8", "replace")


RubyLoader.add_multi_constructor("!ruby/", _untagged)
RubyLoader.add_constructor("!binary", _binary)
RubyLoader.add_constructor("tag:yaml.org,2002:binary", _binary)


def load(text: str | bytes) -> tuple[str | None, object]:
    """(the top node's tag, or None when untagged; the document). Raises yaml.YAMLError."""
    loader = RubyLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        tag = node.tag if node.tag.startswith("!") else None
        return tag, loader.construct_document(node)
    finally:
        loader.dispose()


def describe(error: yaml.YAMLError) -> str:
    """A one-line reason: the problem and where it is."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    return f"{problem} (line {mark.line + 1}, column {mark.column + 1})" if mark else problem
