#!/usr/bin/env python3
"""Set up Tabstop on this machine with nothing installed by hand.

Creates `.venv`, installs the pinned dependencies, builds llama-cpp-python once
with flags that suit this processor (and caches the wheel, so later set-ups take
seconds), assembles and verifies the default model, and optionally runs one real
completion. Stdlib only: it runs before anything else is installed.

Why build llama-cpp-python ourselves: on x86-64 the default native build enables
the AMX kernels, which segfault in batched decode on the machines we target; the
flags below turn them off. Elsewhere (Apple Silicon: Metal) the default build is
right, so no flags are forced there. `TABSTOP_CMAKE_ARGS` overrides the choice.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
LLAMA_VERSION = "0.3.36"
TORCH_VERSION = "2.13.0"
# x86-64 features we build for when the CPU has them (ggml option -> /proc/cpuinfo flags).
X86_FEATURES = {
    "GGML_AVX": ("avx",),
    "GGML_AVX2": ("avx2",),
    "GGML_FMA": ("fma",),
    "GGML_F16C": ("f16c",),
    "GGML_BMI2": ("bmi2",),
    "GGML_AVX_VNNI": ("avx_vnni",),
    "GGML_AVX512": ("avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"),
    "GGML_AVX512_VNNI": ("avx512f", "avx512_vnni"),
    "GGML_AVX512_BF16": ("avx512f", "avx512_bf16"),
}


def cache_dir() -> Path:
    """Same place platformdirs.user_cache_dir('tabstop') gives, without platformdirs."""
    if env := os.environ.get("TABSTOP_CACHE_DIR"):
        return Path(env)
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "tabstop"
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "tabstop" / "Cache"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tabstop"


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def step(msg: str) -> None:
    print(f"==> {msg}", flush=True)


def run(cmd: list[str | os.PathLike[str]], **kw) -> None:
    subprocess.run([str(c) for c in cmd], check=True, **kw)


def pip(*args: str | os.PathLike[str], env: dict[str, str] | None = None) -> None:
    run([venv_python(), "-m", "pip", "--disable-pip-version-check", *args], env=env)


def has_module(module: str, dist: str | None = None, version: str | None = None) -> bool:
    """True when the venv imports `module` (and its distribution has `version`)."""
    code = f"import importlib.metadata as m, {module}"
    if version:
        code += f"; assert m.version({dist or module!r}) == {version!r}"
    return subprocess.run([venv_python(), "-c", code], capture_output=True).returncode == 0


def cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def x86_cmake_args(flags: set[str]) -> str:
    """Portable build for exactly this CPU's features; the AMX kernels always off.

    Not GGML_NATIVE: it turns the AMX kernels on where the CPU has them, and those
    segfault in batched decode. Not a fixed AVX-512 list either: AMD EPYC machines
    without AVX-512 die with SIGILL on such a build.
    """
    opts = ["-DGGML_NATIVE=OFF"]
    for option, needs in X86_FEATURES.items():
        opts.append(f"-D{option}={'ON' if all(f in flags for f in needs) else 'OFF'}")
    opts += ["-DGGML_AMX_TILE=OFF", "-DGGML_AMX_INT8=OFF", "-DGGML_AMX_BF16=OFF"]
    return " ".join(opts)


def cmake_args() -> str | None:
    if "TABSTOP_CMAKE_ARGS" in os.environ:
        return os.environ["TABSTOP_CMAKE_ARGS"]
    if platform.machine().lower() in ("x86_64", "amd64") and sys.platform.startswith("linux"):
        return x86_cmake_args(cpu_flags())
    return None  # default build: Metal on Apple Silicon, CPU elsewhere


def ensure_venv() -> None:
    if venv_python().exists():
        return
    step(f"creating {VENV}")
    run([sys.executable, "-m", "venv", VENV])


def ensure_torch() -> None:
    if has_module("torch"):
        return
    step(f"installing torch=={TORCH_VERSION} (CPU build where one is available)")
    pip("install", "-q", f"torch=={TORCH_VERSION}")


def ensure_llama_cpp() -> None:
    if has_module("llama_cpp", "llama-cpp-python", LLAMA_VERSION):
        return
    wheels = cache_dir() / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    args = cmake_args()
    tag = hashlib.sha256((args or "default").encode()).hexdigest()[:10]
    built = wheels / tag
    found = sorted(built.glob(f"llama_cpp_python-{LLAMA_VERSION}-*.whl"))
    if not found:
        step(f"building llama-cpp-python {LLAMA_VERSION} (once, ~5 min; cached in {built})")
        env = dict(os.environ)
        if args:
            env["CMAKE_ARGS"] = args
        tmp = built.with_suffix(".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        # --no-cache-dir: pip's own wheel cache ignores CMAKE_ARGS and would hand back
        # a wheel built for another CPU.
        pip("wheel", "-q", "--no-deps", "--no-cache-dir", "-w", tmp, f"llama-cpp-python=={LLAMA_VERSION}", env=env)
        tmp.rename(built)
        found = sorted(built.glob(f"llama_cpp_python-{LLAMA_VERSION}-*.whl"))
    step(f"installing {found[-1].name}")
    pip("install", "-q", found[-1])


def ensure_project() -> None:
    stamp = VENV / ".tabstop-installed"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + str(ROOT).encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest and has_module("pygls"):
        return
    step("installing tabstop and its dependencies")
    pip("install", "-q", "-e", f"{ROOT}[dev]")
    stamp.write_text(digest)


def ensure_model() -> None:
    step("assembling and verifying the default model")
    run([venv_python(), "-m", "lsp.cli", "model", "fetch", "default"], cwd=ROOT)


def demo() -> None:
    sample = ROOT / "samples" / "demo.py"
    step(f"a real completion on {sample.relative_to(ROOT)} (line 10, after 'return ')")
    run([venv_python(), "-m", "lsp.cli", "complete", sample, "--line", "10", "--character", "11"], cwd=ROOT)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-demo", action="store_true", help="set up only; skip the sample completion")
    opts = parser.parse_args()
    if sys.version_info < (3, 11):
        print("Tabstop needs Python 3.11 or newer", file=sys.stderr)
        return 2
    try:
        ensure_venv()
        ensure_torch()
        ensure_llama_cpp()
        ensure_project()
        ensure_model()
        if not opts.no_demo:
            demo()
    except subprocess.CalledProcessError as exc:
        print(f"set-up failed: {' '.join(map(str, exc.cmd))} exited {exc.returncode}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
