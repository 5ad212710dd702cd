"""Content-addressed storage of original uploads under `<data_dir>/files/<sha[:2]>/<sha>`."""

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

COPY_CHUNK = 1 << 20


class FileTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"file exceeds the {limit} byte limit")
        self.limit = limit


@dataclass(frozen=True)
class StoredFile:
    key: str  # sha256 hex digest, also the file's name in the store
    size: int
    path: Path
    created: bool  # False when the same bytes were already stored


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, key: str) -> Path:
        return self.root / key[:2] / key

    def put(self, source: BinaryIO, *, max_bytes: int) -> StoredFile:
        """Copy a stream into the store while hashing it (blocking: run in a thread).

        The copy goes to a temporary file first and is renamed into place, so a reader never
        sees half a file; bytes beyond `max_bytes` abort the copy with `FileTooLarge`.
        """
        incoming = self.root / "incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        with tempfile.NamedTemporaryFile(dir=incoming, delete=False) as tmp:
            try:
                while chunk := source.read(COPY_CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise FileTooLarge(max_bytes)
                    digest.update(chunk)
                    tmp.write(chunk)
            except BaseException:
                tmp.close()
                os.unlink(tmp.name)
                raise
        key = digest.hexdigest()
        target = self.path_for(key)
        if target.exists():
            os.unlink(tmp.name)
            return StoredFile(key, size, target, created=False)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(tmp.name, target)
        return StoredFile(key, size, target, created=True)

    def delete(self, key: str) -> None:
        self.path_for(key).unlink(missing_ok=True)
