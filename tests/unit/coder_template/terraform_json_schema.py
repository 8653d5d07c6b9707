"""A JSON schema of the `.tf.json` files the template generator writes, written down from Terraform's and the
providers' documentation (there is no Terraform here to ask):

- the file's structure: Terraform's JSON syntax (hashicorp/terraform website/docs/language/syntax/json.mdx at
  26a478cf): a root object whose properties are top-level block types, one nesting level per block label,
  `//` comments in block bodies, `variable` arguments as literals (`type` a type expression in a string),
  `depends_on` as references in strings;
- the block bodies the template uses, as the providers document them at the pinned versions:
  `coder_parameter`, `coder_workspace` and `coder_agent` (coder/terraform-provider-coder v2.20.0,
  docs/data-sources/parameter.md, docs/data-sources/workspace.md, docs/resources/agent.md) and
  `kubernetes_manifest` (hashicorp/terraform-provider-kubernetes 3.2.1, docs/resources/manifest.md), each
  closed: an argument the provider does not document fails.

What it cannot say: whether an expression evaluates, or whether the provider's code accepts what its
documentation allows; those need `terraform validate`.
"""

from __future__ import annotations

from typing import Any

IDENTIFIER = "^[A-Za-z_][A-Za-z0-9_-]*$"
EXPRESSION = {"type": "string", "pattern": r"^\$\{[^{}]+\}$"}  # a whole value that is one interpolation
REFERENCE = {"type": "string", "pattern": r"^(data\.)?[a-z][a-z0-9_]*\.[A-Za-z_][A-Za-z0-9_-]*$"}
COMMENT = {"//": {"type": "string"}}


def _labelled(body: dict[str, Any]) -> dict[str, Any]:
    """A block type with one label: an object of bodies by label."""
    return {"type": "object", "propertyNames": {"pattern": IDENTIFIER}, "additionalProperties": body}


def _closed(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {**COMMENT, **properties},
        "required": list(required),
        "additionalProperties": False,
    }


STRING, BOOL, NUMBER = {"type": "string"}, {"type": "boolean"}, {"type": "number"}

PARAMETER = _closed(
    {
        "name": STRING,
        "display_name": STRING,
        "description": STRING,
        "type": {"enum": ["string", "number", "bool", "list(string)"]},
        "default": STRING,
        "mutable": BOOL,
        "ephemeral": BOOL,
        "icon": STRING,
        "order": NUMBER,
        "form_type": STRING,
        "styling": STRING,
        "option": {
            "type": "array",
            "items": _closed(
                {"name": STRING, "value": STRING, "description": STRING, "icon": STRING}, ("name", "value")
            ),
        },
        "validation": _closed(
            {
                "min": NUMBER,
                "max": NUMBER,
                "monotonic": {"enum": ["increasing", "decreasing"]},
                "regex": STRING,
                "error": STRING,
            }
        ),
    },
    ("name",),
)
AGENT = _closed(
    {
        "os": {"enum": ["linux", "darwin", "windows"]},
        # a literal, or an expression the provider checks once Terraform has its value (a parameter's)
        "arch": {"oneOf": [{"enum": ["amd64", "armv7", "arm64"]}, EXPRESSION]},
    },
    ("os", "arch"),
)
META = {"count": {"oneOf": [EXPRESSION, {"type": "integer"}]}, "depends_on": {"type": "array", "items": REFERENCE}}
MANIFEST = _closed(
    {
        **META,
        "manifest": {"type": "object", "required": ["apiVersion", "kind", "metadata"]},
        "computed_fields": {"type": "array", "items": STRING},
        "field_manager": {"type": "object"},
        "wait": {"type": "object"},
        "timeouts": {"type": "object"},
    },
    ("manifest",),
)

SCHEMA: dict[str, Any] = _closed(
    {
        "terraform": _closed(
            {
                "required_version": STRING,
                "required_providers": {
                    "type": "object",
                    "additionalProperties": _closed({"source": STRING, "version": STRING}, ("source", "version")),
                },
            }
        ),
        "variable": _labelled(
            _closed({"type": STRING, "default": {}, "description": STRING, "sensitive": BOOL, "nullable": BOOL})
        ),
        "provider": {"type": "object", "additionalProperties": {"type": ["object", "array"]}},
        "locals": {"type": "object"},
        "output": _labelled(_closed({"value": {}, "description": STRING, "sensitive": BOOL}, ("value",))),
        "data": _closed(
            {"coder_workspace": _labelled(_closed({})), "coder_parameter": _labelled(PARAMETER)},
        ),
        "resource": _closed({"coder_agent": _labelled(AGENT), "kubernetes_manifest": _labelled(MANIFEST)}),
        # Terraform's moved blocks (developer.hashicorp.com/terraform/language/moved): two resource addresses
        "moved": {"type": "array", "items": _closed({"from": STRING, "to": STRING}, ("from", "to"))},
    }
)
