"""The sandbox runtime: a minimal, world-readable root filesystem that every sandbox sees as `/`.

    <EXECUTOR_RUNTIME_DIR>/
      rootfs/                 mounted read-only as / (bwrap) or imported as the image (docker)
        runtime/python/       a copy of this Python 3.12 (stdlib, libpython) + pinned jaclang in site-packages, and
                              the pinned ruff binary in bin/ (the code evaluator's linter)
        lib/, lib64/          exactly the shared libraries those binaries need (ldd closure)
        etc/passwd, etc/group
        work/ tmp/ proc/ dev/ mount points
      jac-cache/              jaclang's compiler cache, pre-warmed once, bound read-only into Jac runs
      STAMP                   what was built, so a rebuild happens only when it changes

Nothing from the host is visible in a sandbox except this tree: no /usr, no /etc of the host, no shell.
The host Python usually lives under root's 0700 home (pyenv), which the sandbox uids cannot read, hence a copy.
"""

import logging
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

LAYOUT_VERSION = 5  # 5: native binaries of the sandbox requirements (ruff) kept in python/bin
SKIP_STDLIB = {"test", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3", "site-packages", "__pycache__",
               "config-3.12-x86_64-linux-gnu"}  # fmt: skip
PYTHON_REL = Path("runtime/python")


def runtime_dir() -> Path:
    return Path(settings.EXECUTOR_RUNTIME_DIR)


def rootfs_dir() -> Path:
    return runtime_dir() / "rootfs"


def jac_cache_dir() -> Path:
    return runtime_dir() / "jac-cache"


def sandbox_requirements() -> list[str]:
    path = Path(settings.BASE_DIR) / "requirements-sandbox.txt"
    return [line.split("#", 1)[0].strip() for line in path.read_text().splitlines() if line.split("#", 1)[0].strip()]


def expected_stamp() -> str:
    return f"layout={LAYOUT_VERSION} python={sys.version.split()[0]} requirements={','.join(sandbox_requirements())}"


def is_built() -> bool:
    stamp = runtime_dir() / "STAMP"
    return stamp.exists() and stamp.read_text().strip() == expected_stamp()


def _copy_python(base: Path, dest: Path) -> None:
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    (dest / "bin").mkdir(parents=True)
    real_binary = Path(os.path.realpath(sys.executable))
    if not real_binary.exists():
        real_binary = base / "bin" / version
    shutil.copy2(real_binary, dest / "bin" / version)
    (dest / "lib").mkdir()
    libdir = Path(sysconfig.get_config_var("LIBDIR") or base / "lib")
    for lib in libdir.glob("libpython3*.so*"):
        shutil.copy2(lib, dest / "lib" / lib.name, follow_symlinks=True)
    stdlib = Path(sysconfig.get_paths()["stdlib"])

    def ignore(directory: str, names: list[str]) -> list[str]:
        skipped = [n for n in names if n == "__pycache__" or n.startswith(("_tkinter", "_test"))]
        if Path(directory) == stdlib:
            skipped += [n for n in names if n in SKIP_STDLIB]
        return skipped

    shutil.copytree(stdlib, dest / "lib" / version, ignore=ignore)
    (dest / "lib" / version / "site-packages").mkdir()


def _elf_files(root: Path) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as fh:
                if fh.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def _copy_shared_libraries(rootfs: Path, python_dir: Path) -> int:
    """Copy into rootfs every shared library the runtime's ELF files load (ldd closure), at the same paths."""
    needed: set[str] = set()
    env = {**os.environ, "LD_LIBRARY_PATH": str(python_dir / "lib")}
    for elf in _elf_files(python_dir):
        out = subprocess.run(["ldd", str(elf)], capture_output=True, text=True, env=env).stdout
        for line in out.splitlines():
            parts = line.split()
            if "=>" in parts:
                target = parts[parts.index("=>") + 1]
                if target.startswith("/"):
                    needed.add(target)
            elif parts and parts[0].startswith("/"):
                needed.add(parts[0])
    copied = 0
    for lib in sorted(needed):
        if lib.startswith(str(python_dir)):
            continue
        for path in {lib, os.path.realpath(lib)}:
            dest = rootfs / path.lstrip("/")
            if dest.exists():
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(os.path.realpath(lib), dest)
            copied += 1
    return copied


def make_world_readable(root: Path) -> None:
    for dirpath, _dirnames, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                continue
            mode = os.stat(path).st_mode
            os.chmod(path, 0o755 if mode & stat.S_IXUSR else 0o644)


def is_warm() -> bool:
    return (runtime_dir() / "WARM").exists()


def _prewarm(warm: Callable[[], None], log: Callable[[str], None]) -> None:
    log("Pre-warming the Jac compiler cache inside a sandbox")
    warm()
    (runtime_dir() / "WARM").write_text("jac cache pre-warmed\n")


BUILD_STEPS = ("Copy Python", "Install the sandbox requirements", "Copy shared libraries", "Compile bytecode",
               "Pre-warm the Jac cache")  # fmt: skip


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value} B"  # pragma: no cover


def tree_size(root: Path) -> int:
    """Bytes of the regular files under `root` (symlinks not followed)."""
    total = 0
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            try:
                info = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):
                total += info.st_size
    return total


def progress_bar(done: int, total: int, width: int = 20) -> str:
    filled = round(width * done / total) if total else width
    return "█" * filled + "░" * (width - filled)


class BuildProgress:
    """“[2/5] ████████░░░░░░░░░░░░ Install the sandbox requirements … +41.2 MiB, 96.3 MiB in all, 12.0 s”: one line
    as each step of the build starts and one as it ends, with the size the tree has reached."""

    def __init__(self, root: Path, log: Callable[[str], None], steps: tuple[str, ...] = BUILD_STEPS) -> None:
        self.root, self.log, self.steps = root, log, steps
        self.index, self.size, self.started = 0, 0, 0.0

    def start(self, step: str) -> None:
        self.index = self.steps.index(step) + 1
        self.size = tree_size(self.root) if self.root.exists() else 0
        self.started = time.monotonic()
        self.log(f"[{self.index}/{len(self.steps)}] {progress_bar(self.index - 1, len(self.steps))} {step}")

    def done(self, detail: str = "") -> None:
        size = tree_size(self.root) if self.root.exists() else 0
        elapsed = time.monotonic() - self.started
        extra = f", {detail}" if detail else ""
        self.log(
            f"[{self.index}/{len(self.steps)}] {progress_bar(self.index, len(self.steps))} "
            f"+{human_size(max(size - self.size, 0))}, {human_size(size)} in all, {elapsed:.1f} s{extra}"
        )


def build(
    *, force: bool = False, prewarm: Callable[[], None] | None = None, log: Callable[[str], None] = logger.info
) -> Path:
    """Build the runtime (idempotent: skipped when the stamp matches). Needs network access to the package index
    once, for jaclang; the result is used offline from then on.

    `prewarm` runs a Jac program once in a sandbox (the bwrap backend's prewarm_jac_cache, passed in so the runtime
    does not import the backend that mounts it). None builds everything but the warm-up, which needs a working
    sandbox: a container image is built where bwrap cannot run (`docker build`), and the executor worker warms it at
    start (a later call with a prewarm on an up-to-date runtime only warms, once)."""
    if is_built() and not force:
        log(f"Sandbox runtime up to date at {runtime_dir()}")
        if prewarm is not None and not is_warm():
            _prewarm(prewarm, log)
        return runtime_dir()
    if sys.version_info[:2] != (3, 12):
        raise RuntimeError("The sandbox runtime needs Python 3.12 (jaclang requires it)")
    final = runtime_dir()
    work = final.with_name(final.name + ".building")
    shutil.rmtree(work, ignore_errors=True)
    rootfs = work / "rootfs"
    python_dir = rootfs / PYTHON_REL
    steps = BuildProgress(work, log, BUILD_STEPS if prewarm else BUILD_STEPS[:-1])
    steps.start("Copy Python")
    log(f"Copying Python {sys.version.split()[0]} from {sys.base_prefix}")
    _copy_python(Path(sys.base_prefix), python_dir)
    steps.done()
    site = python_dir / "lib" / "python3.12" / "site-packages"
    steps.start("Install the sandbox requirements")
    log(f"Installing {', '.join(sandbox_requirements())} into the runtime")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-compile",
            "--disable-pip-version-check",
            "--target",
            str(site),
            "--only-binary",
            ":all:",
            *sandbox_requirements(),
        ],
        check=True,
    )
    # Console scripts point at the host interpreter, so they go; native binaries (ruff) move beside python3.12.
    for binary in (site / "bin").glob("*") if (site / "bin").is_dir() else []:
        with binary.open("rb") as fh:
            if fh.read(4) == b"\x7fELF":
                shutil.move(str(binary), python_dir / "bin" / binary.name)
    shutil.rmtree(site / "bin", ignore_errors=True)
    steps.done()
    steps.start("Copy shared libraries")
    log("Copying shared libraries (ldd closure)")
    copied = _copy_shared_libraries(rootfs, python_dir)
    steps.done(f"{copied} libraries")
    for mount_point in ("proc", "dev", "tmp", "work", "etc"):
        (rootfs / mount_point).mkdir(exist_ok=True)
    (rootfs / "etc" / "passwd").write_text("root:x:0:0::/:/nonexistent\nsandbox:x:65534:65534::/work:/nonexistent\n")
    (rootfs / "etc" / "group").write_text("root:x:0:\nsandbox:x:65534:\n")
    steps.start("Compile bytecode")
    log("Compiling bytecode")
    subprocess.run(
        [str(python_dir / "bin" / "python3.12"), "-m", "compileall", "-q", "-j", "0", str(python_dir / "lib")],
        env={"LD_LIBRARY_PATH": str(python_dir / "lib"), "PATH": "/usr/bin:/bin"},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    steps.done()
    (work / "jac-cache").mkdir()
    make_world_readable(work)
    for mount_point in ("tmp", "work"):
        # Docker copies a mount point's mode onto the tmpfs mounted over it; bwrap's tmpfs is 1777 anyway.
        os.chmod(rootfs / mount_point, 0o1777)
    shutil.rmtree(final, ignore_errors=True)
    work.rename(final)
    if prewarm is not None:
        steps.root = final
        steps.start("Pre-warm the Jac cache")
        _prewarm(prewarm, log)
        steps.done()
    (final / "STAMP").write_text(expected_stamp() + "\n")
    log(f"Sandbox runtime ready at {final}")
    return final
