"""Host checks the bwrap sandbox needs, run when an executor worker starts (executor/tasks.py): a worker that
cannot create the sandbox's namespaces refuses to start with the exact remedy, instead of failing every run.

- user namespaces enabled: `user.max_user_namespaces` > 0 (and, on Debian kernels, `kernel.unprivileged_userns_clone`
  = 1, because bwrap runs as each slot's unprivileged uid);
- AppArmor (Ubuntu 23.10+): `kernel.apparmor_restrict_unprivileged_userns` = 1 forbids unprivileged user namespaces
  to every program without an AppArmor profile granting `userns`.
"""

from pathlib import Path

REMEDIES = {
    "max_user_namespaces": "user namespaces are disabled (user.max_user_namespaces = 0): set "
    "`sysctl -w user.max_user_namespaces=15000` on the node (and in /etc/sysctl.d/ to keep it)",
    "unprivileged_userns_clone": "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0): "
    "set `sysctl -w kernel.unprivileged_userns_clone=1` on the node",
    "apparmor_restrict_unprivileged_userns": "AppArmor restricts unprivileged user namespaces "
    "(kernel.apparmor_restrict_unprivileged_userns = 1): load an AppArmor profile for /usr/bin/bwrap that allows "
    "`userns` (docs/operations.md, 'Executor host checks'), or set "
    "`sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` on the executor nodes only",
}


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def host_problems(proc: Path = Path("/proc")) -> list[str]:
    """Why this host cannot run the bwrap sandbox, one remedy per problem; [] when the checks pass."""
    problems = []
    if _read_int(proc / "sys/user/max_user_namespaces") == 0:
        problems.append(REMEDIES["max_user_namespaces"])
    if _read_int(proc / "sys/kernel/unprivileged_userns_clone") == 0:
        problems.append(REMEDIES["unprivileged_userns_clone"])
    if _read_int(proc / "sys/kernel/apparmor_restrict_unprivileged_userns") == 1:
        problems.append(REMEDIES["apparmor_restrict_unprivileged_userns"])
    return problems
