"""The executor worker's host checks: user namespaces and AppArmor's restriction, read from /proc."""

from pathlib import Path

from executor.hostcheck import host_problems


def _proc(tmp_path: Path, **values: int) -> Path:
    names = {
        "max_user_namespaces": "sys/user/max_user_namespaces",
        "unprivileged_userns_clone": "sys/kernel/unprivileged_userns_clone",
        "apparmor_restrict_unprivileged_userns": "sys/kernel/apparmor_restrict_unprivileged_userns",
    }
    for key, value in values.items():
        path = tmp_path / names[key]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{value}\n")
    return tmp_path


def test_a_host_that_allows_user_namespaces_passes(tmp_path):
    assert host_problems(_proc(tmp_path, max_user_namespaces=15000, unprivileged_userns_clone=1)) == []
    assert host_problems(_proc(tmp_path / "no-files")) == []  # kernels without the Debian/Ubuntu knobs


def test_each_failing_check_names_its_remedy(tmp_path):
    problems = host_problems(
        _proc(tmp_path, max_user_namespaces=0, unprivileged_userns_clone=0, apparmor_restrict_unprivileged_userns=1)
    )
    assert len(problems) == 3
    assert "sysctl -w user.max_user_namespaces=15000" in problems[0]
    assert "kernel.unprivileged_userns_clone=1" in problems[1]
    assert "apparmor_restrict_unprivileged_userns" in problems[2] and "bwrap" in problems[2]


def test_this_machine_passes_the_checks():
    # The CI machine runs the bwrap sandbox for real (tests/executor), so it must pass them.
    assert host_problems() == []
