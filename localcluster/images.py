"""The local node's images, built here from Debian's packages: mmdebstrap -> umoci -> an OCI layout.

The upstream registries (Docker Hub, registry.k8s.io, registry.nestybox.com) are unreachable here, so each
image our manifests name is a STAND-IN served under that name from a local registry (Debian's
docker-registry on 127.0.0.1:5000; containerd's hosts.toml sends those registries there):

- `registry.k8s.io/pause:3.10.1`: a 20-line static Go program (localcluster/images/pause.go);
- `docker.io/codercom/enterprise-base:ubuntu-20240812` (the canary's image): Debian bookworm made like
  images/cvm-workspace (systemd as /sbin/init, Docker enabled, a `coder` user with uid 1000), not Coder's
  Ubuntu image; like Coder's, it names no stop signal (the pods' preStop hook halts systemd);
- `registry.nestybox.com/nestybox/sysbox-deploy-k8s:v0.7.1-0`: the installer TEST DOUBLE, that image plus
  localcluster/images/sysbox-deploy-k8s.sh, which adds its runtime to containerd's config as the real one
  does and labels its node, and doubles of `kubectl` and `systemctl` (localcluster/images/);
- `docker.io/cvm-e2e/hello:1`: busybox alone, for the nested `docker run` (also baked into the workspace image
  as a `docker load` archive, since pods cannot reach the host's loopback registry) and as a broken workspace
  image (no /sbin/init).

The layout is cached in ~/.cache/cvm-images/<recipe hash>/: a warm run only pushes it to the registry.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from components.facts import pins

HERE = Path(__file__).resolve().parent / "images"
CACHE = Path(os.environ.get("CVM_IMAGE_CACHE", Path.home() / ".cache" / "cvm-images"))
SUITE = "bookworm"  # the host's Debian release: its packages are what the registry serves
HELLO = "docker.io/cvm-e2e/hello:1"
HELLO_ARCHIVE = "/usr/local/share/cvm-e2e/hello.tar"  # `docker load -i` it inside a workspace
WORKSPACE_PACKAGES = (
    "systemd", "systemd-sysv", "dbus", "docker.io", "sudo", "ca-certificates", "curl", "busybox-static",
)  # fmt: skip
# as images/cvm-workspace/Dockerfile: units with nothing to do in a container; Docker started by systemd;
# the workspace user `coder`, uid 1000, in the docker and sudo groups
WORKSPACE_HOOKS = (
    'chroot "$1" systemctl mask systemd-firstboot.service systemd-udevd.service systemd-udev-trigger.service '
    "systemd-modules-load.service sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount "
    "getty.target console-getty.service",
    'chroot "$1" systemctl enable docker.service containerd.service',
    'chroot "$1" useradd coder --create-home --shell /bin/bash --uid 1000 --user-group --groups docker,sudo',
    'echo "coder ALL=(ALL) NOPASSWD:ALL" > "$1/etc/sudoers.d/coder" && chmod 0440 "$1/etc/sudoers.d/coder"',
    'rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin',
)


# bump when `build` makes different images from the same recipe (the hash covers the rest)
BUILD_STEPS = 2


@dataclass(frozen=True)
class Image:
    ref: str  # the name in the OCI layout
    name: str  # the name our manifests pull


IMAGES = (
    Image("pause", "registry.k8s.io/pause:3.10.1"),
    Image("hello", HELLO),
    Image("workspace", pins.CANARY_IMAGE),
    Image("installer", pins.SYSBOX_RELEASES[pins.DEFAULT_SYSBOX].installer_image),
)


def registry_path(name: str) -> str:
    """Where an image name lives in the local registry: its path and tag without the registry host."""
    return name.split("/", 1)[1]


def recipe_hash() -> str:
    """What the images are made from; a change to any of it makes new images."""
    parts = {
        "suite": SUITE,
        "packages": WORKSPACE_PACKAGES,
        "hooks": WORKSPACE_HOOKS,
        "images": [(i.ref, i.name) for i in IMAGES],
        "files": {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(HERE.iterdir())},
        "steps": BUILD_STEPS,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def _run(*argv: str | Path, **kwargs: object) -> None:
    subprocess.run([str(a) for a in argv], check=True, **kwargs)  # type: ignore[call-overload]


def _layer(layout: Path, ref: str, rootfs: Path, work: Path, *config: str) -> None:
    """A one-layer image `ref` in `layout` from the directory `rootfs`."""
    tar = work / f"{ref}.tar"
    _run("tar", "--numeric-owner", "--xattrs", "-C", rootfs, "-cf", tar, ".")
    _run("umoci", "new", "--image", f"{layout}:{ref}")
    _run("umoci", "raw", "add-layer", "--image", f"{layout}:{ref}", tar)
    if config:
        _run("umoci", "config", "--image", f"{layout}:{ref}", *config)
    tar.unlink()


def build() -> Path:
    """The OCI layout holding every image (built when the recipe changed; else the cached one)."""
    out = CACHE / recipe_hash()
    if (out / "index.json").exists():
        return out
    work = CACHE / f"{out.name}.work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    layout = work / "oci"
    _run("umoci", "init", "--layout", layout)

    rootfs = work / "workspace"
    hooks = [f"--customize-hook={hook}" for hook in WORKSPACE_HOOKS]
    _run(
        "mmdebstrap", "--variant=apt", "--include=" + ",".join(WORKSPACE_PACKAGES),
        "--dpkgopt=path-exclude=/usr/share/doc/*", "--dpkgopt=path-exclude=/usr/share/man/*",
        "--dpkgopt=path-exclude=/usr/share/locale/*", "--skip=output/dev", *hooks, SUITE, rootfs,
    )  # fmt: skip

    pause = work / "pause"
    pause.mkdir()
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "", "GO111MODULE": "off"}
    _run("go", "build", "-trimpath", "-ldflags=-s -w", "-o", pause / "pause", HERE / "pause.go", env=env)
    _layer(layout, "pause", pause, work, "--config.entrypoint=/pause")

    hello = work / "hello"
    (hello / "bin").mkdir(parents=True)
    shutil.copy2(rootfs / "bin" / "busybox", hello / "bin" / "busybox")
    for applet in ("sh", "echo", "cat", "sleep", "id"):
        (hello / "bin" / applet).symlink_to("busybox")
    _layer(layout, "hello", hello, work, "--config.cmd=/bin/echo", "--config.cmd=hello from a nested container")
    archive = rootfs / HELLO_ARCHIVE.lstrip("/")
    archive.parent.mkdir(parents=True)
    _run("skopeo", "copy", "--quiet", f"oci:{layout}:hello", f"docker-archive:{archive}:{registry_path(HELLO)}")

    _layer(
        layout, "workspace", rootfs, work,
        "--config.entrypoint=/sbin/init", "--config.env=LANG=C.UTF-8",
    )  # fmt: skip
    # the installer double: the workspace image (bash, curl) plus its script, where the real image keeps its own
    _run("skopeo", "copy", "--quiet", f"oci:{layout}:workspace", f"oci:{layout}:installer")
    scripts = work / "installer" / "opt" / "sysbox" / "scripts"
    scripts.mkdir(parents=True)
    for script in ("sysbox-deploy-k8s.sh", "api.sh"):
        shutil.copy2(HERE / script, scripts / script)
    # and the kubectl its readiness probe calls, a double too (the real image has kubectl); and a systemctl double
    # for the one request it and cvm's containerd fix make of the node's systemd (localcluster/systemd_double.py)
    (work / "installer" / "usr" / "local" / "bin").mkdir(parents=True)
    for tool in ("kubectl", "systemctl"):
        shutil.copy2(HERE / tool, work / "installer" / "usr" / "local" / "bin" / tool)
    tar = work / "installer.tar"
    _run("tar", "--numeric-owner", "-C", work / "installer", "-cf", tar, "opt", "usr")
    _run("umoci", "raw", "add-layer", "--image", f"{layout}:installer", tar)
    _run("umoci", "gc", "--layout", layout)

    shutil.rmtree(out, ignore_errors=True)
    layout.rename(out)
    shutil.rmtree(work)
    for older in CACHE.iterdir():  # one recipe's images are kept (about 150 MB)
        if older != out:
            shutil.rmtree(older, ignore_errors=True)
    return out


def push(layout: Path, registry: str) -> None:
    """Every image of `layout` into the registry at `registry` (plain HTTP on the loopback)."""
    for image in IMAGES:
        _run(
            "skopeo", "copy", "--quiet", "--dest-tls-verify=false",
            f"oci:{layout}:{image.ref}", f"docker://{registry}/{registry_path(image.name)}",
        )  # fmt: skip
