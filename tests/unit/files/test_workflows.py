"""The GitHub workflows: what they promise (actionlint checks them in tests/engine/test_built_tools.py)."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import yaml

from tests.harness import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
STACKS = ["metal-lab", "gke-prod", "aks-prod", "eks-prod"]  # the example stacks, each previewed and deployed


def load(name: str) -> dict[str, object]:
    # YAML 1.1 reads the key `on` as True
    return {("on" if k is True else str(k)): v for k, v in yaml.safe_load((WORKFLOWS / name).read_text()).items()}


def test_pull_requests_test_then_preview_every_stack_with_the_pack() -> None:
    workflow = load("pull_request.yml")
    assert workflow["on"] == {"pull_request": {"branches": ["main"]}}
    jobs = workflow["jobs"]
    assert isinstance(jobs, dict)
    assert any(step.get("run") == "make test" for step in jobs["test"]["steps"])
    previewed = []
    for job in ("preview-metal", "preview-cloud"):
        assert jobs[job]["needs"] == "test"
        assert jobs[job]["with"]["command"] == "preview"
        previewed += json.loads(jobs[job]["with"]["stacks"])
    assert sorted(previewed) == sorted(STACKS)


def test_main_deploys_one_stack_at_a_time() -> None:
    workflow = load("push.yml")
    assert workflow["on"] == {"push": {"branches": ["main"]}}
    jobs = workflow["jobs"]
    assert isinstance(jobs, dict)
    assert jobs["up-cloud"]["needs"] == "up-metal"
    deployed = []
    for job in ("up-metal", "up-cloud"):
        assert jobs[job]["with"]["command"] == "up" and jobs[job]["with"]["max-parallel"] == 1
        deployed += json.loads(jobs[job]["with"]["stacks"])
    assert sorted(deployed) == sorted(STACKS)
    assert workflow["concurrency"] == {"group": "pulumi-up", "cancel-in-progress": False}


def test_each_stack_runs_pulumi_with_the_policy_pack() -> None:
    jobs = load("stack.yml")["jobs"]
    assert isinstance(jobs, dict)
    (pulumi,) = [s for s in jobs["stack"]["steps"] if str(s.get("uses", "")).startswith("pulumi/actions@")]
    assert pulumi["with"]["policyPacks"] == "policy"
    assert pulumi["with"]["command"] == "${{ inputs.command }}"
    assert pulumi["with"]["comment-on-pr"] == "${{ inputs.command == 'preview' }}"


def test_only_bare_metal_stacks_skip_checkpoints() -> None:
    """A cloud resource that an interrupted `up` made would be lost to the state (docs/performance.md)."""
    jobs = load("stack.yml")["jobs"]
    assert isinstance(jobs, dict)
    (pulumi,) = [s for s in jobs["stack"]["steps"] if str(s.get("uses", "")).startswith("pulumi/actions@")]
    assert pulumi["env"]["PULUMI_SKIP_CHECKPOINTS"] == "${{ startsWith(matrix.stack, 'metal-') }}"
    assert [s for s in STACKS if s.startswith("metal-")] == ["metal-lab"]  # the prefix the workflow tests


def test_each_stack_installs_only_its_platform_set_and_the_packs_own() -> None:
    steps = jobs_of("stack.yml")["stack"]["steps"]
    (install,) = [s for s in steps if "pip install" in str(s.get("run", ""))]
    assert install["env"] == {"STACK": "${{ matrix.stack }}"}  # through the environment, not into the script
    lines = str(install["run"]).splitlines()
    assert lines == [
        'requirements=$(scripts/requirements.sh "$STACK")',  # an assignment: a refused stack name fails the step
        'python -m venv venv && venv/bin/pip install -r "$requirements"',
        "python -m venv policy/venv && policy/venv/bin/pip install -r policy/requirements.txt",
    ]
    for stack in STACKS:  # the name's prefix picks the set of the platform the stack's config names
        config = yaml.safe_load((ROOT / "examples" / f"Pulumi.{stack}.yaml").read_text())["config"]
        chosen = subprocess.run([ROOT / "scripts" / "requirements.sh", stack], capture_output=True, text=True)
        assert (
            chosen.stdout == f"requirements/{config['cvm:platform']}.txt\n" and (ROOT / chosen.stdout.strip()).is_file()
        )
    refused = subprocess.run([ROOT / "scripts" / "requirements.sh", "lab"], capture_output=True, text=True)
    assert refused.returncode == 1 and refused.stdout == "" and "metal-, gke-, aks- or eks-" in refused.stderr


# --- least privilege ---------------------------------------------------------------------------------------

CALLERS = ("pull_request.yml", "push.yml")
CLOUD_LOGINS = ("google-github-actions/auth@", "azure/login@", "aws-actions/configure-aws-credentials@")


def jobs_of(name: str) -> dict[str, Any]:
    jobs = load(name)["jobs"]
    assert isinstance(jobs, dict)
    return jobs


def test_workflows_grant_nothing_and_jobs_ask_for_what_they_need() -> None:
    for name in CALLERS:
        assert load(name)["permissions"] == {}, name
        for job_name, job in jobs_of(name).items():
            assert "permissions" in job, f"{name}: job {job_name} must say what it needs"
    assert jobs_of("pull_request.yml")["test"]["permissions"] == {"contents": "read"}  # it runs the PR's code


def test_an_oidc_token_only_where_a_cloud_login_happens() -> None:
    stack_steps = jobs_of("stack.yml")["stack"]["steps"]
    assert isinstance(stack_steps, list)
    logins = [s for s in stack_steps if str(s.get("uses", "")).startswith(CLOUD_LOGINS)]
    # each login runs only for its cloud's stacks, which the bare-metal callers never pass
    assert logins and all(str(s["if"]).startswith("startsWith(matrix.stack, '") for s in logins)
    for name in CALLERS:
        for job_name, job in jobs_of(name).items():
            permissions = job["permissions"]
            assert isinstance(permissions, dict)
            stacks = json.loads(str(job.get("with", {}).get("stacks", "[]")))
            clouds = [s for s in stacks if s.split("-")[0] in ("gke", "aks", "eks")]
            assert (permissions.get("id-token") == "write") == bool(clouds), f"{name}: {job_name}"
            if "pull-requests" in permissions:  # only previews comment
                assert job["with"]["command"] == "preview", f"{name}: {job_name}"


def test_no_secret_is_inherited_and_the_pulumi_token_reaches_one_step() -> None:
    for path in WORKFLOWS.glob("*.yml"):
        assert "secrets: inherit" not in path.read_text(), path.name
    stack = jobs_of("stack.yml")["stack"]
    assert "env" not in stack  # nothing job-wide: `pip install` sees no credential
    assert stack["environment"] == "${{ inputs.environment }}"
    steps = stack["steps"]
    assert isinstance(steps, list)
    with_token = [s for s in steps if "PULUMI_ACCESS_TOKEN" in json.dumps(s)]
    assert [str(s["uses"]).split("@")[0] for s in with_token] == ["pulumi/actions"]
    environments = {job["with"]["environment"] for name in CALLERS for job in jobs_of(name).values() if "with" in job}
    assert environments == {"preview", "production"}
    for job in jobs_of("pull_request.yml").values():
        if "with" in job:
            assert job["with"]["environment"] == "preview"


def test_every_action_is_pinned_by_commit() -> None:
    for path in WORKFLOWS.glob("*.yml"):
        for job in yaml.safe_load(path.read_text())["jobs"].values():
            for step in job.get("steps", []):
                action = step.get("uses")
                if action and not action.startswith("./"):
                    assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), f"{path.name}: {action}"


def test_pull_requests_from_forks_are_skipped_clearly() -> None:
    jobs = jobs_of("pull_request.yml")
    same_repo = "github.event.pull_request.head.repo.full_name == github.repository"
    for name, job in jobs.items():
        if name.startswith("preview"):
            assert job["if"] == same_repo
    fork = jobs["fork"]
    assert fork["if"] == same_repo.replace("==", "!=")
    assert "::notice" in json.dumps(fork["steps"])
