"""From what `pulumi config` stores to `Settings`, and from pydantic's errors to one message a user can act on.

`load_settings` takes the config as plain strings (full keys such as 'cvm:platform') and returns the typed
settings, or raises `SettingsError` listing every problem, each with its key, the value given and what is
accepted. Secrets are never shown: their values print as `(secret)` (`_shown` decides, in one place), and every
value shown is cut to `SHOWN_LENGTH` characters.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any

from pydantic import BaseModel, SecretStr, TypeAdapter, ValidationError

from components.config import sections
from components.config.checks import ABSENT, SECRET, UNKNOWN
from components.config.settings import Settings, across
from components.facts.platforms import CLOUDS

NAMESPACE = "cvm"

# Other packages' config that stands in for a missing cvm key (docs/configuration.md): the providers' own
# defaults, plain keys that `pulumi new` can ask for (Pulumi.yaml's template; it cannot set a field of an object).
_FALLBACKS = {
    ("gke", "project"): "gcp:project",
    ("gke", "location"): "gcp:region",
    ("aks", "location"): "azure-native:location",
    ("eks", "region"): "aws:region",
    ("eks", "profile"): "aws:profile",
}
# The aws provider's role to assume: `aws:assumeRoles` (a list, pulumi-aws v7) or `aws:assumeRole` (one object).
_ASSUME_ROLE_KEYS = ("aws:assumeRoles", "aws:assumeRole")


def _assumed_role(config: Mapping[str, str]) -> str | None:
    """The role ARN the stack's `aws:` config asks the provider to assume, if any (the first of a chain)."""
    for key in _ASSUME_ROLE_KEYS:
        try:
            value = json.loads(config[key]) if key in config else None
        except (TypeError, ValueError):
            continue
        first = value[0] if isinstance(value, list) and value else value
        if isinstance(first, dict) and isinstance(first.get("roleArn"), str):
            return str(first["roleArn"])
    return None


@dataclass(frozen=True)
class Problem:
    key: str
    value: Any
    reason: str

    def __str__(self) -> str:
        given = "" if self.value is ABSENT else f" = {shorten(repr(self.value))}"
        return f"{shorten(self.key)}{given}: {self.reason}"


# Bounded messages: a 5 MB value gives a short refusal, still recognisable by its start.
SHOWN_LENGTH = 80


def shorten(text: str) -> str:
    return text if len(text) <= SHOWN_LENGTH else f"{text[: SHOWN_LENGTH - 1]}…"


# Deeper objects than any setting needs (the deepest, a workspace's innerEnv, is 4) are refused before they are
# parsed or validated: Python's JSON decoder, pydantic and our own walks recurse, and would hit RecursionError.
MAX_DEPTH = 32
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def json_depth(text: str) -> int:
    """How deeply JSON text nests its arrays and objects, counted without parsing it (strings left out)."""
    depth = deepest = 0
    for char in _JSON_STRING.sub("", text):
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


class SettingsError(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"the {NAMESPACE} configuration has {count}:\n" + "\n".join(f"  - {p}" for p in problems))


def stored_config(config: Mapping[str, Any]) -> dict[str, str]:
    """Config as `pulumi config` stores it and `load_settings` reads it: full keys (`cvm:` added where a key
    has no namespace), objects as JSON, booleans as `true`/`false`, everything else as its string."""
    return {
        (key if ":" in key else f"{NAMESPACE}:{key}"): json.dumps(value)
        if isinstance(value, (dict, list))
        else str(value).lower()
        if isinstance(value, bool)
        else str(value)
        for key, value in config.items()
    }


def load_settings(config: Mapping[str, str], stack: str, secret_keys: Collection[str] = ()) -> Settings:
    """Validate a stack's config (full keys such as 'cvm:platform' -> stored string) into `Settings`."""
    problems: list[Problem] = []
    raw: dict[str, Any] = {}
    refused: list[tuple[str | int, ...]] = []  # objects refused before validation: unknown to the rules across keys
    for full_key, text in config.items():
        namespace, _, key = full_key.partition(":")
        if namespace != NAMESPACE:
            continue
        if key in _OBJECT_KEYS:
            # an object set whole, without --path, may be a credential (a kubeconfig pasted as the value)
            shown = SECRET if full_key in secret_keys or "\n" in str(text) else text
            if json_depth(str(text)) > MAX_DEPTH:
                problems.append(Problem(full_key, shown, f"nests objects and lists deeper than {MAX_DEPTH} levels"))
                refused.append((key,))
                continue
            try:
                raw[key] = json.loads(text)
            except (TypeError, ValueError):
                reason = "must be an object; set its fields with `pulumi config set --path`"
                problems.append(Problem(full_key, shown, reason))
                refused.append((key,))
        else:
            raw[key] = text
    platform = raw.get("platform")
    if platform in CLOUDS and platform not in raw:
        raw[platform] = {}  # a cloud stack's section may be left out; the fallbacks below still apply
    for (section, field), fallback in _FALLBACKS.items():
        if isinstance(raw.get(section), dict) and field not in raw[section] and fallback in config:
            raw[section] = {**raw[section], field: config[fallback]}
    role = _assumed_role(config)
    if isinstance(raw.get("eks"), dict) and "assumeRoleArn" not in raw["eks"] and role is not None:
        raw["eks"] = {**raw["eks"], "assumeRoleArn": role}
    problems += _plaintext_secrets(raw, secret_keys)
    try:
        settings: Settings | None = Settings.model_validate(raw, context={"stack": stack})
        errors: list[Any] = []
    except ValidationError as error:
        settings, errors = None, error.errors(include_url=False)
        # a key refused before validation (not an object) is reported once, not again through its fields
        errors = [e for e in errors if not any(_located(e)[: len(key)] == key for key in refused)]
    failed = refused + [_located(e) for e in errors]
    # the rules across keys run on whatever validated: a failed key hides only the rules that need it
    known = settings if settings is not None and not failed else _parts(Settings, raw, failed)
    between = across(known)
    if problems or errors or between:
        # every credential, in whatever shape it came (a token in a list, a kubeconfig without --path)
        secrets = {text for secret, text in _strings(raw) if secret and text}
        problems += [_problem(e, secrets) for e in errors]
        problems += [Problem(key_of(loc), _shown(loc, value, secrets), reason) for loc, value, reason in between]
        raise SettingsError(problems)
    assert settings is not None  # validated, or `errors` has its problems
    return settings


def _parts(model: type[BaseModel], data: Any, failed: Sequence[tuple[str | int, ...]]) -> Any:
    """`data` as far as `model` validates it (`checks.part` reads it): a dict under config keys, with `UNKNOWN` for
    each part that failed (`failed`: where, below `data`) and the validated value, or the default, of the rest."""
    if not failed:
        return model.model_validate(data)  # it validated within the whole: here too
    if () in failed or not isinstance(data, dict):
        return UNKNOWN
    known: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        below = [loc[1:] for loc in failed if loc[:1] == (key,)]
        if () in below:
            known[key] = UNKNOWN
        elif key not in data:
            known[key] = field.get_default(call_default_factory=True)
        elif not below:
            known[key] = _validated(model, name, data[key])
        elif (inner := _model_in(field.annotation)) is None:
            known[key] = UNKNOWN
        elif _is_list(field.annotation):
            entries = data[key] if isinstance(data[key], list) else []
            known[key] = [
                _parts(inner, entry, [loc[1:] for loc in below if loc[:1] == (i,)]) for i, entry in enumerate(entries)
            ]
        else:
            known[key] = _parts(inner, data[key], below)
    return known


def _validated(model: type[BaseModel], name: str, value: Any) -> Any:
    """The value of a field that validated within the whole, as its type gives it (the model's decorated
    validators left out: they passed, and the only ones that change a value handle an unset one)."""
    return _field_type(model, name).validate_python(value)


@functools.cache
def _field_type(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    field = model.model_fields[name]
    if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
        return TypeAdapter(field.annotation)  # a section: its own model config
    annotated: Any = Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation
    return TypeAdapter(annotated, config=sections.Model.model_config)


def _plaintext_secrets(raw: Mapping[str, Any], secret_keys: Collection[str]) -> list[Problem]:
    """Credentials must be stored encrypted: `pulumi config set --secret --path ...`."""
    found = []
    for path in _SECRET_PATHS:
        if f"{NAMESPACE}:{path[0]}" not in secret_keys:
            for loc in _present(raw, path):
                found.append(Problem(key_of(loc), "(plaintext)", "is a credential: set it with --secret"))
    return found


def _present(value: Any, path: tuple[str | None, ...]) -> Iterator[tuple[str | int, ...]]:
    """Where in `value` the keys of `path` are set (None: every entry of a list)."""
    if not path:
        yield ()
        return
    step, rest = path[0], path[1:]
    if step is None and isinstance(value, list):
        for i, item in enumerate(value):
            yield from ((i, *loc) for loc in _present(item, rest))
    elif step is not None and isinstance(value, dict) and step in value:
        yield from ((step, *loc) for loc in _present(value[step], rest))


def key_of(loc: Iterable[str | int]) -> str:
    """('supervisor', 'workspaces', 0, 'name') -> 'cvm:supervisor.workspaces[0].name'."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return f"{NAMESPACE}:{path}"


def _strings(value: Any, *, under_secret: bool = False) -> Iterable[tuple[bool, str]]:
    """Every string in a config value, and whether it stands under a credential's key, at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, under_secret=under_secret or key in _SECRET_NAMES)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, under_secret=under_secret)
    elif isinstance(value, str):
        yield under_secret, value


def _reveals(value: Any, secrets: Collection[str]) -> bool:
    # a secret of a few characters is found only whole: 't' would otherwise hide every value with a 't' in it
    return any(
        secret == text or (len(secret) >= 4 and secret in text) for _, text in _strings(value) for secret in secrets
    )


def _located(error: Any) -> tuple[str | int, ...]:
    """Where a pydantic error is, spelled with config keys. pydantic marks a mapping's refused key with a last part
    '[key]': the key itself names it. An unknown key stays as the user wrote it: `kubernetes_version` is a field's
    name, not its key `kubernetesVersion`, which must neither be named nor count as failed."""
    loc = tuple(part for part in error["loc"] if part != "[key]")
    if error["type"] == "extra_forbidden":
        return (*_aliased(loc[:-1])[0], loc[-1])
    return _aliased(loc)[0]


def _problem(error: Any, secrets: Collection[str]) -> Problem:
    loc = _located(error)
    value = _shown(loc, error.get("input", ABSENT), secrets)
    kind = error["type"]
    if kind == "missing":
        fallback = _FALLBACKS.get((str(loc[0]), str(loc[-1]))) if len(loc) == 2 else None
        return Problem(key_of(loc), ABSENT, f"is required (or set {fallback})" if fallback else "is required")
    if kind == "extra_forbidden":
        accepted = ", ".join(sorted(_aliased(loc[:-1])[1]))
        return Problem(key_of(loc), ABSENT, f"is not a setting; accepted here: {accepted}")
    return Problem(key_of(loc), value, error["msg"])


def _shown(loc: tuple[str | int, ...], value: Any, secrets: Collection[str]) -> Any:
    """What a refusal shows of the value at `loc`: `(secret)` for a credential, wherever and however it came.

    A credential's own key (or innerEnv), or any text of a credential, hides the value. In a section that holds
    credentials (`baremetal`, the workspace list and each entry) a value shows only when it is a number, a
    boolean, or one line without spaces under a known field: an entry that is not an object, a list or object
    where a field wants a scalar, a multi-line text (a kubeconfig under `baremetal.context`) and an unknown key
    show as `(secret)`, since a credential pasted at the wrong place looks like any of them.
    """
    if value is ABSENT or value == SECRET:
        return value
    if isinstance(value, Enum):  # a rule's finding may carry a validated value: shown as the config's text
        value = value.value
    if any(part in _UNSHOWN for part in loc) or _reveals(value, secrets):
        return SECRET
    for section in _SECRET_SECTIONS:
        if loc[: len(section)] == section:
            field = next((part for part in loc[len(section) :] if isinstance(part, str)), None)
            plain = isinstance(value, (bool, int, float)) or (isinstance(value, str) and not re.search(r"\s", value))
            if field is None or field not in _SECRET_SECTIONS[section] or not plain:
                return SECRET
    return value


def _aliased(loc: tuple[str | int, ...]) -> tuple[tuple[str | int, ...], list[str]]:
    """`loc` spelled with config keys (pydantic reports defaults by field name), and the keys accepted at its end."""
    model: type[BaseModel] | None = Settings
    spelled: list[str | int] = []
    for part in loc:
        if isinstance(part, int) or model is None:
            spelled.append(part)
            continue
        field = model.model_fields.get(part) or next((f for f in model.model_fields.values() if f.alias == part), None)
        spelled.append(field.alias or part if field else part)
        model = _model_in(field.annotation) if field else None
    accepted = [f.alias or name for name, f in model.model_fields.items()] if model else []
    return tuple(spelled), accepted


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in getattr(annotation, "__args__", ()):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


def _is_list(annotation: Any) -> bool:
    return getattr(annotation, "__origin__", None) is list or any(
        _is_list(a) for a in getattr(annotation, "__args__", ())
    )


def _secret_paths(model: type[BaseModel], prefix: tuple[str | None, ...] = ()) -> Iterator[tuple[str | None, ...]]:
    """The config paths of a model's credentials (its `SecretStr` fields, at any depth; None: every entry of a list)."""
    for name, field in model.model_fields.items():
        path = (*prefix, field.alias or name)
        if _holds_secret(field.annotation):
            yield path
        inner = _model_in(field.annotation)
        if inner is not None:
            yield from _secret_paths(inner, (*path, None) if _is_list(field.annotation) else path)


def _holds_secret(annotation: Any) -> bool:
    return annotation is SecretStr or any(_holds_secret(a) for a in getattr(annotation, "__args__", ()))


# The config's objects (set whole or with --path), and its credentials: read from the models, defined there once.
_OBJECT_KEYS = frozenset(f.alias or name for name, f in Settings.model_fields.items() if _model_in(f.annotation))
_SECRET_PATHS = tuple(_secret_paths(Settings))
# Keys whose values are credentials, wherever they stand in the config.
_SECRET_NAMES = frozenset(str(path[-1]) for path in _SECRET_PATHS)
# Keys whose values are never shown: credentials, and a workspace's variables, where users put tokens.
_UNSHOWN = _SECRET_NAMES | {"innerEnv"}
# The sections that hold credentials (`_shown`: `baremetal`, the workspace list), each with its known fields.
_SECRET_SECTIONS = {
    section: frozenset(_aliased(section)[1])
    for section in {tuple(str(p) for p in path[:-1] if p is not None) for path in _SECRET_PATHS}
}
