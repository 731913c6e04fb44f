"""`manage.py executor_build_runtime` reports each step with the size the runtime has reached and a bar."""

import re

from executor.runtime import BUILD_STEPS, BuildProgress, human_size, progress_bar, tree_size


def test_sizes_and_bars():
    assert [human_size(n) for n in (0, 1023, 1024, 5 * 1024**2 + 1024**2 // 2, 3 * 1024**3)] == [
        "0 B", "1023 B", "1.0 KiB", "5.5 MiB", "3.0 GiB"]  # fmt: skip
    assert progress_bar(0, 5, 10) == "░" * 10
    assert progress_bar(2, 5, 10) == "████░░░░░░"
    assert progress_bar(5, 5, 10) == "█" * 10


def test_each_step_logs_its_position_growth_and_total(tmp_path):
    lines: list[str] = []
    steps = BuildProgress(tmp_path / "runtime", lines.append)
    steps.start("Copy Python")
    (tmp_path / "runtime" / "lib").mkdir(parents=True)
    (tmp_path / "runtime" / "lib" / "a.so").write_bytes(b"x" * 2048)
    (tmp_path / "runtime" / "link").symlink_to(tmp_path / "runtime" / "lib" / "a.so")  # not counted twice
    steps.done()
    steps.start("Copy shared libraries")
    (tmp_path / "runtime" / "lib" / "b.so").write_bytes(b"x" * 1024)
    steps.done("2 libraries")
    assert tree_size(tmp_path / "runtime") == 3072
    assert lines[0] == f"[1/{len(BUILD_STEPS)}] {'░' * 20} Copy Python"
    assert re.fullmatch(r"\[1/5\] ████░{16} \+2\.0 KiB, 2\.0 KiB in all, \d+\.\d s", lines[1]), lines[1]
    assert lines[2] == "[3/5] ████████░░░░░░░░░░░░ Copy shared libraries"
    assert re.fullmatch(r"\[3/5\] ████████████░{8} \+1\.0 KiB, 3\.0 KiB in all, \d+\.\d s, 2 libraries", lines[3])
