"""The command: a stack file in, a template directory out; encrypted values and bad config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from components.coder_template.command import ENCRYPTED, main
from tests.harness import KUBECONFIG, ROOT

EXAMPLES = sorted((ROOT / "examples").glob("Pulumi.*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_writes_the_template_of_each_example(path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--stack-config", str(path), "--out", str(tmp_path / "t")]) == 0
    stack = path.name.split(".")[1]
    main_tf = json.loads((tmp_path / "t" / "main.tf.json").read_text())
    assert f"cvm-{stack}" in main_tf["//"]
    assert f"CVM workspaces on cvm-{stack}" in (tmp_path / "t" / "README.md").read_text()
    assert f"coder templates push cvm-{stack} --directory {tmp_path / 't'}" in capsys.readouterr().out


def test_encrypted_values_are_not_needed(tmp_path: Path) -> None:
    """A stack file as `pulumi config set --secret --path` leaves it: the kubeconfig and the tokens encrypted."""
    secure = {"secure": "v1:c2VjcmV0"}
    config = {
        "cvm:platform": "baremetal",
        "cvm:baremetal": {"kubeconfig": secure, "context": "lab", "nodes": ["cpu-1"]},
        "cvm:supervisor": {
            "coderUrl": "https://coder.example.com",
            "workspaces": [{"name": "alice", "image": "ghcr.io/a/w:1", "agentToken": secure}],
        },
    }
    path = tmp_path / "Pulumi.lab.yaml"
    path.write_text(yaml.safe_dump({"config": config}))
    assert main(["--stack-config", str(path), "--out", str(tmp_path / "t")]) == 0
    written = (tmp_path / "t" / "main.tf.json").read_text()
    assert ENCRYPTED not in written and "v1:c2VjcmV0" not in written
    pod = json.loads(written)["resource"]["kubernetes_manifest"]["envbox"]["manifest"]["spec"]["template"]
    assert pod["spec"]["containers"][0]["name"] == "envbox"


def test_bad_config_names_every_key_and_hides_secrets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = {
        "cvm:platform": "baremetal",
        "cvm:baremetal": {"kubeconfig": KUBECONFIG},  # in plain text
        "cvm:supervisor": {"namespace": "Bad_NS", "workspaces": [{"name": "w", "image": "ubuntu"}]},
    }
    path = tmp_path / "Pulumi.lab.yaml"
    path.write_text(yaml.safe_dump({"config": config}))
    assert main(["--stack-config", str(path), "--out", str(tmp_path / "t")]) == 1
    error = capsys.readouterr().err
    for key in ("cvm:baremetal.kubeconfig", "cvm:supervisor.namespace", "cvm:supervisor.workspaces[0].image"):
        assert key in error
    assert "token: t" not in error
    assert not (tmp_path / "t").exists()


def test_the_stack_name_comes_from_the_file_or_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "stack.yaml"
    path.write_text(yaml.safe_dump({"config": {"cvm:platform": "baremetal"}}))
    with pytest.raises(SystemExit):
        main(["--stack-config", str(path), "--out", str(tmp_path / "t")])
    assert "name it Pulumi.<stack>.yaml or give --stack" in capsys.readouterr().err
    assert main(["--stack-config", str(path), "--out", str(tmp_path / "t"), "--stack", "lab"]) == 0
    assert "cvm-lab" in (tmp_path / "t" / "README.md").read_text()


def _stack_file(tmp_path: Path) -> str:
    path = tmp_path / "Pulumi.lab.yaml"
    path.write_text(yaml.safe_dump({"config": {"cvm:platform": "baremetal"}}))
    return str(path)


def test_the_push_hint_sets_the_variable_the_docs_push_sets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--stack-config", _stack_file(tmp_path), "--out", str(tmp_path / "t")]) == 0
    hint = f"coder templates push cvm-lab --directory {tmp_path / 't'} --variable use_kubeconfig=false --yes"
    assert hint in capsys.readouterr().out
    assert "--variable use_kubeconfig=false" in (ROOT / "docs" / "workspaces.md").read_text()


def test_a_previous_template_is_replaced(tmp_path: Path) -> None:
    out = tmp_path / "t"
    assert main(["--stack-config", _stack_file(tmp_path), "--out", str(out)]) == 0
    (out / "README.md").write_text("edited\n")
    assert main(["--stack-config", _stack_file(tmp_path), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "main.tf.json"]
    assert "CVM workspaces on cvm-lab" in (out / "README.md").read_text()


@pytest.mark.parametrize(
    ("files", "error"),
    [
        ({"": "a file"}, "is a file: give a folder for the template"),
        ({"notes.txt": "x", "main.tf": "x"}, "holds files this command did not write (main.tf, notes.txt)"),
        ({"main.tf.json": '{"//": "mine"}'}, "holds a template this command did not write"),
    ],
)
def test_an_out_it_did_not_write_is_refused_in_one_line(
    files: dict[str, str], error: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "t"
    if "" in files:
        out.write_text(files[""])
    else:
        out.mkdir()
        for name, text in files.items():
            (out / name).write_text(text)
    before = {p.name: p.read_bytes() for p in out.iterdir()} if out.is_dir() else out.read_bytes()
    with pytest.raises(SystemExit) as stopped:
        main(["--stack-config", _stack_file(tmp_path), "--out", str(out)])
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and "Traceback" not in err
    assert err.splitlines()[-1].startswith(f"python -m components.coder_template: error: --out {str(out)!r} {error}")
    assert ({p.name: p.read_bytes() for p in out.iterdir()} if out.is_dir() else out.read_bytes()) == before


def test_an_out_under_a_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("x")
    assert main(["--stack-config", _stack_file(tmp_path), "--out", str(tmp_path / "file" / "t")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"python -m components.coder_template: error: --out '{tmp_path}/file/t': ")
    assert len(err.splitlines()) == 1
