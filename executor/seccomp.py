"""The sandbox's seccomp policy, as a classic BPF program for bwrap (`--seccomp FD`) and as a Docker profile.

Defence in depth: the network namespace already blocks the network, capabilities are dropped and user namespaces
disabled. The filter adds what those do not cover:
- socket families: an allow-list (AF_UNIX, AF_INET, AF_INET6, AF_NETLINK); AF_VSOCK is not namespaced (a sandbox
  shared the host's vsock port space) and AF_ALG reaches the kernel's crypto code; anything else answers
  EAFNOSUPPORT;
- denied with EPERM: the kernel keyring (keyctl, add_key, request_key), perf_event_open, io_uring_*, userfaultfd,
  bpf, namespace creation and entry (unshare/clone with a CLONE_NEW* flag, setns), SysV shared memory (segments
  outlive their process and belong to nobody), ptrace and cross-process memory access, and the mount, module,
  reboot, swap, kexec and handle calls a dropped capability already refuses;
- clone3 answers ENOSYS (its flags sit in memory a filter cannot read), so the C library falls back to clone,
  whose flags the filter does check;
- any other architecture's calling convention (i386 `int 0x80`, x32) kills the process.

No library: libseccomp is not on every host, and this policy is a few dozen instructions that a test checks
call by call inside a real sandbox. Django-free (the launcher imports it).
"""

import json
import platform
import struct
from typing import Any

# linux/audit.h
AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
X32_SYSCALL_BIT = 0x40000000

SECCOMP_RET_KILL_PROCESS = 0x80000000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_ALLOW = 0x7FFF0000
EPERM, ENOSYS, EAFNOSUPPORT = 1, 38, 97

ALLOWED_SOCKET_FAMILIES = {"AF_UNIX": 1, "AF_INET": 2, "AF_INET6": 10, "AF_NETLINK": 16}
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET (clone's low byte is the exit signal)
CLONE_NS_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000
UNSHARE_NS_FLAGS = CLONE_NS_FLAGS | 0x00000080  # + CLONE_NEWTIME

DENIED = (
    "keyctl", "add_key", "request_key", "perf_event_open", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "userfaultfd", "bpf", "setns", "shmget", "shmat", "shmctl", "ptrace", "process_vm_readv", "process_vm_writev",
    "mount", "umount2", "pivot_root", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
    "mount_setattr", "swapon", "swapoff", "reboot", "kexec_load", "kexec_file_load", "init_module", "finit_module",
    "delete_module", "acct", "syslog", "open_by_handle_at", "name_to_handle_at", "lookup_dcookie", "quotactl",
    "kcmp", "fanotify_init",
)  # fmt: skip
CHECKED = ("socket", "socketpair", "clone", "unshare", "clone3")

SYSCALLS = {
    "x86_64": {
        "socket": 41, "socketpair": 53, "clone": 56, "clone3": 435, "unshare": 272, "setns": 308, "keyctl": 250,
        "add_key": 248, "request_key": 249, "perf_event_open": 298, "io_uring_setup": 425, "io_uring_enter": 426,
        "io_uring_register": 427, "userfaultfd": 323, "bpf": 321, "shmget": 29, "shmat": 30, "shmctl": 31,
        "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "mount": 165, "umount2": 166,
        "pivot_root": 155, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "move_mount": 429,
        "open_tree": 428, "mount_setattr": 442, "swapon": 167, "swapoff": 168, "reboot": 169, "kexec_load": 246,
        "kexec_file_load": 320, "init_module": 175, "finit_module": 313, "delete_module": 176, "acct": 163,
        "syslog": 103, "open_by_handle_at": 304, "name_to_handle_at": 303, "lookup_dcookie": 212, "quotactl": 179,
        "kcmp": 312, "fanotify_init": 300,
    },
    "aarch64": {
        "socket": 198, "socketpair": 199, "clone": 220, "clone3": 435, "unshare": 97, "setns": 268, "keyctl": 219,
        "add_key": 217, "request_key": 218, "perf_event_open": 241, "io_uring_setup": 425, "io_uring_enter": 426,
        "io_uring_register": 427, "userfaultfd": 282, "bpf": 280, "shmget": 194, "shmat": 196, "shmctl": 195,
        "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271, "mount": 40, "umount2": 39,
        "pivot_root": 41, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "move_mount": 429,
        "open_tree": 428, "mount_setattr": 442, "swapon": 224, "swapoff": 225, "reboot": 142, "kexec_load": 104,
        "kexec_file_load": 294, "init_module": 105, "finit_module": 273, "delete_module": 106, "acct": 89,
        "syslog": 116, "open_by_handle_at": 265, "name_to_handle_at": 264, "lookup_dcookie": 18, "quotactl": 60,
        "kcmp": 272, "fanotify_init": 262,
    },
}  # fmt: skip

# classic BPF opcodes (linux/filter.h)
_LD_ABS_W = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ, _JGE, _JSET = 0x15, 0x35, 0x45  # BPF_JMP | op | BPF_K
_RET = 0x06  # BPF_RET | BPF_K
_NR, _ARCH, _ARG0_LOW = 0, 4, 16  # offsets in struct seccomp_data (little-endian: an argument's low word first)


class UnsupportedArchitecture(RuntimeError):
    pass


def _assemble(program: list[tuple[Any, ...]]) -> bytes:
    """Instructions are (op, k) / (op, k, true_label, false_label) / ("label", name); jumps are to labels."""
    labels: dict[str, int] = {}
    index = 0
    for item in program:
        if item[0] == "label":
            labels[item[1]] = index
        else:
            index += 1
    out = []
    index = 0
    for item in program:
        if item[0] == "label":
            continue
        op, k, *jumps = item
        jt = jf = 0
        if jumps:
            targets = [labels[j] - index - 1 if j is not None else 0 for j in jumps]
            if any(t < 0 or t > 255 for t in targets):
                raise ValueError("BPF jump out of range")
            jt, jf = targets
        out.append(struct.pack("<HBBI", op, jt, jf, k))
        index += 1
    return b"".join(out)


def bpf_program(arch: str | None = None) -> bytes:
    """The filter as `struct sock_filter[]` bytes for bwrap's --seccomp (read until EOF)."""
    arch = arch or platform.machine()
    if arch not in SYSCALLS:
        raise UnsupportedArchitecture(f"no seccomp policy for {arch} (x86_64, aarch64)")
    nr = SYSCALLS[arch]
    prog: list[tuple[Any, ...]] = [
        (_LD_ABS_W, _ARCH),
        (_JEQ, AUDIT_ARCH[arch], None, "kill"),
        (_LD_ABS_W, _NR),
    ]
    if arch == "x86_64":
        prog.append((_JGE, X32_SYSCALL_BIT, "kill", None))
    for name in DENIED:
        prog.append((_JEQ, nr[name], "eperm", None))
    prog += [
        (_JEQ, nr["clone3"], "enosys", None),
        (_JEQ, nr["socket"], "socket", None),
        (_JEQ, nr["socketpair"], "socket", None),
        (_JEQ, nr["clone"], "clone", None),
        (_JEQ, nr["unshare"], "unshare", None),
        (_RET, SECCOMP_RET_ALLOW),
        ("label", "socket"),
        (_LD_ABS_W, _ARG0_LOW),
    ]
    for family in ALLOWED_SOCKET_FAMILIES.values():
        prog.append((_JEQ, family, "allow", None))
    prog += [
        (_RET, SECCOMP_RET_ERRNO | EAFNOSUPPORT),
        ("label", "clone"),
        (_LD_ABS_W, _ARG0_LOW),
        (_JSET, CLONE_NS_FLAGS, "eperm", "allow"),
        ("label", "unshare"),
        (_LD_ABS_W, _ARG0_LOW),
        (_JSET, UNSHARE_NS_FLAGS, "eperm", "allow"),
        ("label", "allow"),
        (_RET, SECCOMP_RET_ALLOW),
        ("label", "eperm"),
        (_RET, SECCOMP_RET_ERRNO | EPERM),
        ("label", "enosys"),
        (_RET, SECCOMP_RET_ERRNO | ENOSYS),
        ("label", "kill"),
        (_RET, SECCOMP_RET_KILL_PROCESS),
    ]
    return _assemble(prog)


def docker_profile() -> str:
    """The same policy as a Docker seccomp profile (JSON), for `--security-opt seccomp=<profile>`."""
    rules: list[dict[str, Any]] = [{"names": list(DENIED), "action": "SCMP_ACT_ERRNO", "errnoRet": EPERM}]
    rules.append({"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": ENOSYS})
    allowed = sorted(ALLOWED_SOCKET_FAMILIES.values())
    denied_families = [f for f in range(max(allowed)) if f not in allowed]
    for name in ("socket", "socketpair"):
        for family in denied_families:
            rules.append(
                {
                    "names": [name],
                    "action": "SCMP_ACT_ERRNO",
                    "errnoRet": EAFNOSUPPORT,
                    "args": [{"index": 0, "value": family, "op": "SCMP_CMP_EQ"}],
                }
            )
        rules.append(
            {
                "names": [name],
                "action": "SCMP_ACT_ERRNO",
                "errnoRet": EAFNOSUPPORT,
                "args": [{"index": 0, "value": max(allowed), "op": "SCMP_CMP_GT"}],
            }
        )
    for name, flags in (("clone", CLONE_NS_FLAGS), ("unshare", UNSHARE_NS_FLAGS)):
        for bit in range(32):
            if flags & (1 << bit):
                rules.append(
                    {
                        "names": [name],
                        "action": "SCMP_ACT_ERRNO",
                        "errnoRet": EPERM,
                        "args": [{"index": 0, "value": 1 << bit, "valueTwo": 1 << bit, "op": "SCMP_CMP_MASKED_EQ"}],
                    }
                )
    profile = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"],
        "syscalls": rules,
    }
    return json.dumps(profile)
