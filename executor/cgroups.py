"""A control group per sandbox slot: the memory limit of a whole run (every process, SysV/POSIX shared memory,
memfds and tmpfs pages, page cache included), a pids limit, the run's peak memory and its OOM kills.

cgroup v2 (`memory.max`, `pids.max`, `memory.peak`, `memory.events`) and v1, where the memory and pids controllers
are separate hierarchies (`memory.limit_in_bytes`, `memory.max_usage_in_bytes`, `memory.oom_control`, `pids.max`).
Hosts can be hybrids: the unified hierarchy mounted beside v1 controllers; each controller is looked up where it
is actually mounted.

The slots live under the worker's own cgroup (`<own>/pathwise-executor/uid-<slot uid>`), so whatever bounds the worker
(a container, a systemd unit) also bounds its sandboxes. Created by the worker at start (`setup_slots`); the
launcher only moves a run into its slot, sets the run's limits and reads the figures (`SlotCgroup`).

Django-free: the launcher imports it.
"""

import errno
import os
import signal
import time
from dataclasses import asdict, dataclass, field
from typing import Any

GROUP = "pathwise-executor"


class CgroupUnavailable(RuntimeError):
    pass


def _mounts() -> dict[str, str]:
    """controller ("memory", "pids") or "unified" → mount point, from /proc/self/mountinfo."""
    found: dict[str, str] = {}
    with open("/proc/self/mountinfo") as fh:
        for line in fh:
            left, _, right = line.partition(" - ")
            fstype, _source, options = [*right.split(), "", "", ""][:3]
            mount_point = left.split()[4]
            if fstype == "cgroup2":
                found.setdefault("unified", mount_point)
            elif fstype == "cgroup":
                for option in options.split(","):
                    if option in ("memory", "pids"):
                        found.setdefault(option, mount_point)
    return found


def _own_paths() -> dict[str, str]:
    """This process's cgroup per hierarchy ("memory", "pids", "unified") from /proc/self/cgroup."""
    paths: dict[str, str] = {}
    with open("/proc/self/cgroup") as fh:
        for line in fh:
            _id, controllers, path = line.rstrip("\n").split(":", 2)
            if controllers == "":
                paths["unified"] = path
            for controller in controllers.split(","):
                if controller in ("memory", "pids"):
                    paths[controller] = path
    return paths


def _write(path: str, value: str) -> None:
    with open(path, "w") as fh:
        fh.write(value)


def _read(path: str) -> str:
    with open(path) as fh:
        return fh.read()


def _keyed(text: str, key: str) -> int:
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name == key:
            return int(value)
    return 0


@dataclass
class SlotCgroup:
    """One slot's cgroup(s), as plain data (it travels to the launcher as JSON)."""

    version: int
    dirs: dict[str, str] = field(default_factory=dict)  # v1: {"memory": dir, "pids": dir}; v2: {"unified": dir}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SlotCgroup":
        return cls(version=int(data["version"]), dirs=dict(data["dirs"]))

    # --- per run (the launcher) ---------------------------------------------------------------------------------

    def run_dirs(self) -> list[str]:
        """Where a run's processes go. v2: a leaf made fresh for each run (its memory.peak starts at zero)."""
        if self.version == 1:
            return [self.dirs["memory"], self.dirs["pids"]]
        return [os.path.join(self.dirs["unified"], "run")]

    def prepare_run(self, *, memory_bytes: int, pids: int) -> int:
        """Set this run's limits and reset the peak; returns the OOM-kill count before the run."""
        if self.version == 1:
            mem = self.dirs["memory"]
            limit = str(memory_bytes)
            memsw = os.path.join(mem, "memory.memsw.limit_in_bytes")
            try:
                _write(os.path.join(mem, "memory.limit_in_bytes"), limit)
                if os.path.exists(memsw):
                    _write(memsw, limit)
            except OSError as exc:  # memsw must stay >= the limit: raise it first when the limit grows
                if exc.errno != errno.EINVAL:
                    raise
                _write(memsw, limit)
                _write(os.path.join(mem, "memory.limit_in_bytes"), limit)
            _write(os.path.join(mem, "memory.max_usage_in_bytes"), "0")
            _write(os.path.join(self.dirs["pids"], "pids.max"), str(pids))
            return _keyed(_read(os.path.join(mem, "memory.oom_control")), "oom_kill")
        slot = self.dirs["unified"]
        run = os.path.join(slot, "run")
        _write(os.path.join(slot, "memory.max"), str(memory_bytes))
        if os.path.exists(os.path.join(slot, "memory.swap.max")):
            _write(os.path.join(slot, "memory.swap.max"), "0")
        _write(os.path.join(slot, "pids.max"), str(pids))
        try:
            os.rmdir(run)
        except FileNotFoundError:
            pass
        os.mkdir(run)
        return 0

    def usage(self) -> int:
        if self.version == 1:
            return int(_read(os.path.join(self.dirs["memory"], "memory.usage_in_bytes")))
        return int(_read(os.path.join(self.run_dirs()[0], "memory.current")))

    def peak(self) -> int:
        if self.version == 1:
            return int(_read(os.path.join(self.dirs["memory"], "memory.max_usage_in_bytes")))
        run = self.run_dirs()[0]
        try:
            return int(_read(os.path.join(run, "memory.peak")))
        except FileNotFoundError:  # kernels before 5.19 have no memory.peak: the current figure is the floor
            return int(_read(os.path.join(run, "memory.current")))

    def oom_kills(self) -> int:
        if self.version == 1:
            return _keyed(_read(os.path.join(self.dirs["memory"], "memory.oom_control")), "oom_kill")
        return _keyed(_read(os.path.join(self.run_dirs()[0], "memory.events")), "oom_kill")

    def pids(self) -> list[int]:
        found: set[int] = set()
        for directory in self.run_dirs():
            try:
                found.update(int(p) for p in _read(os.path.join(directory, "cgroup.procs")).split())
            except FileNotFoundError:
                continue
        return sorted(found)

    def kill_all(self, timeout: float = 3.0) -> list[int]:
        """SIGKILL every process in the slot until none is left (or `timeout`); returns the survivors."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = self.pids()
            if not remaining or time.monotonic() > deadline:
                return remaining
            kill_file = os.path.join(self.run_dirs()[0], "cgroup.kill")
            if self.version == 2 and os.path.exists(kill_file):
                _write(kill_file, "1")
            for pid in remaining:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    continue
            time.sleep(0.005)


# --- setup (the worker, at start) ------------------------------------------------------------------------------------


def _enable_v2_controllers(parent: str) -> None:
    """Enable memory and pids for the children of `parent`. A non-root cgroup that holds processes cannot (the
    no-internal-process rule), so its processes move into a leaf first, as container init systems do."""
    control = os.path.join(parent, "cgroup.subtree_control")
    try:
        _write(control, "+memory +pids")
        return
    except OSError as exc:
        if exc.errno != errno.EBUSY:
            raise
    leaf = os.path.join(parent, "pathwise-worker")
    os.makedirs(leaf, exist_ok=True)
    for pid in _read(os.path.join(parent, "cgroup.procs")).split():
        try:
            _write(os.path.join(leaf, "cgroup.procs"), pid)
        except OSError:
            continue
    _write(control, "+memory +pids")


def setup_slots(uids: list[int]) -> list[SlotCgroup]:
    """Create (idempotently) one cgroup per slot under this process's own cgroup, named after the slot's uid (the
    slot's identity wherever its lock file lives); raise CgroupUnavailable with the reason when the host cannot."""
    mounts = _mounts()
    own = _own_paths()
    try:
        if "memory" in mounts and "pids" in mounts:
            bases = {c: os.path.join(mounts[c], own.get(c, "/").lstrip("/"), GROUP) for c in ("memory", "pids")}
            slots = []
            for uid in uids:
                dirs = {c: os.path.join(base, f"uid-{uid}") for c, base in bases.items()}
                for directory in dirs.values():
                    os.makedirs(directory, exist_ok=True)
                slots.append(SlotCgroup(version=1, dirs=dirs))
            return slots
        if "unified" in mounts:
            root = mounts["unified"]
            if "memory" not in _read(os.path.join(root, "cgroup.controllers")).split():
                raise CgroupUnavailable("the unified cgroup hierarchy has no memory controller")
            parent = os.path.join(root, own.get("unified", "/").lstrip("/"))
            base = os.path.join(parent, GROUP)
            if not os.path.isdir(base):
                _enable_v2_controllers(parent)
                os.makedirs(base, exist_ok=True)
            _write(os.path.join(base, "cgroup.subtree_control"), "+memory +pids")
            slots = []
            for uid in uids:
                directory = os.path.join(base, f"uid-{uid}")
                os.makedirs(directory, exist_ok=True)
                _write(os.path.join(directory, "cgroup.subtree_control"), "+memory +pids")
                slots.append(SlotCgroup(version=2, dirs={"unified": directory}))
            return slots
    except OSError as exc:
        raise CgroupUnavailable(f"cannot create the sandbox slots' cgroups: {exc}") from None
    raise CgroupUnavailable("no memory and pids cgroup controllers are mounted (v1 or v2)")
