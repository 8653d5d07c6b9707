"""The policy pack stands alone, as `pulumi policy publish` uploads it: its folder, its own pinned requirements,
its facts file current with the program's modules, and a configuration schema the engine can validate against.

The pack is started the way Pulumi starts it (`python -u -m pulumi.policy <engine> .` in its folder), in a
process that has only the pack's folder on sys.path (`python -I`) and refuses every installed distribution its
requirements.txt does not bring in (tests/installs.py); the test then speaks the analyzer protocol to it, as
the engine does: the pack's metadata (what `pulumi policy publish` reads), its configuration, an analysis.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import grpc  # type: ignore[import-untyped]
import jsonschema
import pytest
from google.protobuf import empty_pb2, json_format, struct_pb2  # type: ignore[import-untyped]
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from components import policy_facts
from policy import rules
from tests.harness import ROOT
from tests.installs import pins

POLICY = ROOT / "policy"
# Started with only the pack's folder importable: the guard is loaded by path, the pack as Pulumi runs it.
BOOT = """
import importlib.util, runpy, sys
from pathlib import Path
guard = runpy.run_path(sys.argv.pop())
guard["refuse_all_but"](Path("requirements.txt"))
try:
    found = importlib.util.find_spec("components")
except ModuleNotFoundError:  # refused: the program's own distribution (the venv's `cvm` command) is not the pack's
    found = None
assert found is None, "the program's modules are importable"
sys.argv = ["pulumi.policy", "127.0.0.1:0", "."]
runpy.run_module("pulumi.policy", run_name="__main__")
"""


def test_facts_file_is_the_programs_facts() -> None:
    assert (POLICY / "facts.json").read_text() == policy_facts.text(), "run `python -m components.policy_facts`"


def test_the_pack_has_its_own_pinned_requirements() -> None:
    own = pins(POLICY / "requirements.txt")
    assert set(own) == {"pulumi-policy", "pulumi"}
    # pulumi-policy depends on pulumi; the pack runs the program's release of it
    assert own["pulumi"] == pins(ROOT / "requirements" / "core.txt")["pulumi"]
    assert not any(line.startswith("-r") for line in (POLICY / "requirements.txt").read_text().splitlines())


def test_the_pack_runs_in_its_own_environment() -> None:
    project = (POLICY / "PulumiPolicy.yaml").read_text()
    assert "virtualenv: venv\n" in project  # policy/venv, made from policy/requirements.txt


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    guard = str(ROOT / "tests" / "installs.py")
    command = [sys.executable, "-I", "-u", "-c", BOOT, guard]
    with subprocess.Popen(command, cwd=POLICY, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as pack:
        assert pack.stdout is not None and pack.stderr is not None
        port = pack.stdout.readline().strip()
        if not port.isdigit():
            pack.kill()
            pytest.fail(f"the pack did not start: {port}{pack.stderr.read()}")
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
        pack.kill()


def struct(value: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(value)
    return message


def analyze(analyzer: analyzer_pb2_grpc.AnalyzerStub, type_: str, props: dict[str, Any]) -> list[str]:
    request = analyzer_pb2.AnalyzeRequest(type=type_, properties=struct(props), urn=f"urn:pulumi:t::cvm::{type_}::r")
    return [d.policyName for d in analyzer.Analyze(request).diagnostics]


def test_the_pack_serves_alone_as_pulumi_runs_it(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "cvm" and info.supportsConfig
    assert [p.name for p in info.policies] == [p.name for p in rules.POLICIES]
    schemas = {p.name: json_format.MessageToDict(p.configSchema.properties) for p in info.policies}
    assert {name: schema for name, schema in schemas.items() if schema} == rules.CONFIG
    privileged = {"spec": {"containers": [{"name": "x", "image": "a/b:1", "securityContext": {"privileged": True}}]}}
    assert analyze(analyzer, "kubernetes:core/v1:Pod", privileged) == ["privileged-only-for-cvms"]


def test_the_pack_reads_its_configuration(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    labels = {rules.COMPONENT_LABEL: rules.WORKSPACE_COMPONENT}
    volume = {"metadata": {"labels": labels}, "spec": {"storageClassName": "shared"}}
    claim = "kubernetes:core/v1:PersistentVolumeClaim"
    assert analyze(analyzer, claim, volume) == []
    policy_config = {
        "no-nfs-workspace-volumes": analyzer_pb2.PolicyConfig(properties=struct({"nfsStorageClasses": ["shared"]}))
    }
    analyzer.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=policy_config))
    assert analyze(analyzer, claim, volume) == ["no-nfs-workspace-volumes"]


def engine_schema(policy: str) -> dict[str, Any]:
    """The schema the engine validates a policy's configuration against (pkg/resource/analyzer/config.go
    convertSchema), with the defaults it fills in first (createConfigWithDefaults)."""
    return {"type": "object", "properties": rules.CONFIG[policy]}


@pytest.mark.parametrize("policy", sorted(rules.CONFIG))
def test_the_config_schema_is_valid_and_its_defaults_pass(policy: str) -> None:
    schema = engine_schema(policy)
    jsonschema.Draft7Validator.check_schema(schema)  # the engine's gojsonschema reads draft 4 to 7
    jsonschema.Draft4Validator.check_schema(schema)
    defaults = {key: value["default"] for key, value in rules.CONFIG[policy].items()}
    jsonschema.validate(defaults, schema, cls=jsonschema.Draft7Validator)


@pytest.mark.parametrize(
    ("policy", "config", "key"),
    [
        ("images-pinned", {"requireDigest": "yes"}, "requireDigest"),
        ("no-nfs-workspace-volumes", {"nfsStorageClasses": "shared"}, "nfsStorageClasses"),
        ("no-nfs-workspace-volumes", {"nfsStorageClasses": ["a", "a"]}, "nfsStorageClasses"),
        ("no-nfs-workspace-volumes", {"nfsStorageClasses": [""]}, "nfsStorageClasses"),
    ],
)
def test_the_config_schema_refuses_bad_values(policy: str, config: dict[str, Any], key: str) -> None:
    errors = list(jsonschema.Draft7Validator(engine_schema(policy)).iter_errors(config))
    assert errors and all(e.path and e.path[0] == key for e in errors), json.dumps(config)
