"""The example workspace image has the configuration CVMs expect. (Read, not built: no Docker engine runs here.)"""

from __future__ import annotations

import re

from components.config.values import pinned_image
from tests.harness import ROOT

DOCKERFILE = ROOT / "images" / "cvm-workspace" / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def runs() -> str:
    return " ".join(args for instruction, args in instructions() if instruction == "RUN")


def test_base_is_a_pinned_ubuntu_lts() -> None:
    (base,) = [args for instruction, args in instructions() if instruction == "FROM"]
    assert pinned_image(base) and re.fullmatch(r"docker\.io/library/ubuntu:\d\d\.04", base)
    assert int(base.rsplit(":", 1)[1].split(".")[0]) % 2 == 0  # LTS releases are the even years' .04


def test_systemd_is_init_and_docker_starts_with_it() -> None:
    installed = runs()
    assert re.search(r"\bsystemd-sysv\b", installed)  # links /sbin/init to systemd
    assert re.search(r"\bdocker\.io\b", installed)
    assert re.search(r"systemctl enable [^&]*\bdocker\.service\b", installed)
    assert ("ENTRYPOINT", '["/sbin/init"]') in instructions()
    assert ("STOPSIGNAL", "SIGRTMIN+3") in instructions()


def test_coder_user() -> None:
    assert re.search(r"useradd coder .*--uid 1000 .*--groups docker", runs())
    assert not [args for instruction, args in instructions() if instruction == "USER"]  # systemd runs as root


def test_masks_the_units_sysboxs_systemd_guide_masks() -> None:
    # nestybox/sysbox docs/user-guide/systemd.md ("Disabling Systemd Services"): they fail, or have nothing to
    # do, in a system container
    masked = set(" ".join(re.findall(r"systemctl mask ([^&]*)", runs())).split())
    recommended = {
        "systemd-journald-audit.socket",
        "systemd-udev-trigger.service",
        "systemd-firstboot.service",
        "systemd-networkd-wait-online.service",
    }
    assert recommended <= masked
