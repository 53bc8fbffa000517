"""Which exact weights a run used: a cached Hub snapshot's commit, or a local folder's digest."""

from __future__ import annotations

import hashlib
from pathlib import Path

_SMALL_FILE = 16 * 1024 * 1024


def local_revision(path: Path) -> str:
    """``local-sha256:<digest>`` over the folder's file names and sizes and the bytes of its small
    files (configs, tokenizer, template; weights are covered by name and size, so hashing stays
    cheap for multi-GB checkpoints)."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
        rel = file.relative_to(path).as_posix()
        size = file.stat().st_size
        digest.update(f"{rel}\0{size}\0".encode())
        if size <= _SMALL_FILE and not rel.endswith((".safetensors", ".bin", ".pt", ".gguf")):
            digest.update(hashlib.sha256(file.read_bytes()).digest())
    return f"local-sha256:{digest.hexdigest()[:16]}"


def file_revision(path: Path) -> str:
    """``local-sha256:<digest>`` of a single-file checkpoint (GGUF): its name, size and first
    16 MiB (the GGUF header: architecture, tokenizer, chat template, tensor index)."""
    digest = hashlib.sha256(f"{path.name}\0{path.stat().st_size}\0".encode())
    with path.open("rb") as fh:
        digest.update(fh.read(_SMALL_FILE))
    return f"local-sha256:{digest.hexdigest()[:16]}"


def model_revision(model: str) -> str | None:
    """The revision of a local folder or file or of a Hub id already in the local cache; ``None``
    when neither can be determined offline (e.g. an API model)."""
    path = Path(model)
    if path.is_dir():
        return local_revision(path)
    if path.is_file():
        return file_revision(path)
    try:
        from huggingface_hub import snapshot_download

        snapshot = Path(snapshot_download(model, local_files_only=True))
    except Exception:  # noqa: BLE001 - not cached / not a Hub id: unknown revision
        return None
    return snapshot.name
