"""Model registry: checksum verification against corrupted and truncated files, clear errors."""
from __future__ import annotations

import shutil

import pytest

from runtime import registry
from runtime.errors import ChecksumMismatch, ModelUnavailable


def test_real_default_model_verifies(model_path):
    path, spec = registry.resolve("default", verify_hash=True)
    assert path == model_path and spec is not None and spec.name == "qwen2.5-coder-0.5b"


def test_corrupted_model_is_rejected(tmp_path, monkeypatch, model_path):
    """A byte flipped in a full-size copy of the real model fails the SHA-256 check."""
    monkeypatch.setenv("TABSTOP_CACHE_DIR", str(tmp_path))
    spec = registry.spec_for("default")
    target = tmp_path / "models" / spec.filename
    target.parent.mkdir(parents=True)
    shutil.copyfile(model_path, target)
    with target.open("r+b") as fh:
        fh.seek(spec.size // 2)
        byte = fh.read(1)
        fh.seek(spec.size // 2)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ChecksumMismatch, match="SHA-256"):
        registry.resolve("default", verify_hash=True)
    # fetch() notices, rebuilds nothing it cannot download here, but never loads the bad file
    with pytest.raises(ChecksumMismatch):
        registry.verify(target, spec)


def test_truncated_model_is_rejected_even_without_hashing(tmp_path, monkeypatch, model_path):
    monkeypatch.setenv("TABSTOP_CACHE_DIR", str(tmp_path))
    spec = registry.spec_for("default")
    target = tmp_path / "models" / spec.filename
    target.parent.mkdir(parents=True)
    with model_path.open("rb") as src, target.open("wb") as dst:
        dst.write(src.read(1 << 20))
    with pytest.raises(ChecksumMismatch, match="truncated"):
        registry.resolve("default")


def test_missing_model_message_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("TABSTOP_CACHE_DIR", str(tmp_path))
    with pytest.raises(ModelUnavailable, match="tabstop model fetch"):
        registry.resolve("default")


def test_path_that_is_not_gguf(tmp_path):
    bad = tmp_path / "model.gguf"
    bad.write_bytes(b"not a model" * 200)
    with pytest.raises(ModelUnavailable, match="not a GGUF"):
        registry.resolve(str(bad))
    with pytest.raises(ModelUnavailable, match="neither a file"):
        registry.resolve(str(tmp_path / "nope.gguf"))
