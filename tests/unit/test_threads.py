"""The default llama.cpp thread count: one per physical core, not per hyper-thread."""
from __future__ import annotations

from runtime.llamacpp import cores_in_cpuinfo, default_threads


def _entry(processor: int, package: int, core: int) -> str:
    return f"processor\t: {processor}\nmodel name\t: X\nphysical id\t: {package}\ncore id\t\t: {core}\n\n"


def test_hyper_threads_are_not_cores():
    # 4 cores with 2 threads each (logical 0-7), and a 2-socket machine with 2 cores per socket
    laptop = "".join(_entry(p, 0, p % 4) for p in range(8))
    assert cores_in_cpuinfo(laptop) == 4
    server = "".join(_entry(p, p // 2, p % 2) for p in range(4))
    assert cores_in_cpuinfo(server) == 4


def test_cpuinfo_without_core_ids_is_unknown():
    arm = "processor\t: 0\nBogoMIPS\t: 48.00\n\nprocessor\t: 1\nBogoMIPS\t: 48.00\n"
    assert cores_in_cpuinfo(arm) is None


def test_the_default_is_within_what_this_process_may_use():
    import os
    allowed = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert 1 <= default_threads() <= min(8, allowed)
