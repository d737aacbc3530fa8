"""ModelCatalog: which models this server serves, found by scanning the models folder once.

Names resolve only to folders discovered here, so a request can never point the server at a
path. The default model is chosen at start and never changes while serving.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..model.model_dir import Manifest, discover_models, read_manifest
from .config import DEFAULT_MODEL
from .jobs import ServiceError


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    path: Path
    manifest: Manifest


class ModelCatalog:
    def __init__(self, entries: dict[str, CatalogEntry], default: str) -> None:
        if default not in entries:
            raise ValueError(f"default model {default!r} is not among {sorted(entries)}")
        self.entries = entries
        self.default = default

    @classmethod
    def scan(cls, models_root: Path, default: str = "") -> "ModelCatalog":
        """Read every manifest under models_root; fail with what to do if nothing is servable."""
        root = Path(models_root)
        if not root.is_dir():
            raise FileNotFoundError(
                f"models folder {root.resolve()} does not exist: pass --models (or ASSETGEN_MODELS) "
                f"pointing at a folder of model directories, or train one with `assetgen train`"
            )
        found = discover_models(root)
        if not found:
            raise FileNotFoundError(
                f"models folder {root.resolve()} holds no model directory (a subfolder with manifest.json)"
            )
        entries = {name: CatalogEntry(name, path, read_manifest(path)) for name, path in found.items()}
        if default:
            if default not in entries:
                raise ValueError(f"--model {default!r} is not in {root}; found: {', '.join(sorted(entries))}")
        elif DEFAULT_MODEL in entries:
            default = DEFAULT_MODEL
        elif len(entries) == 1:
            default = next(iter(entries))
        else:
            raise ValueError(
                f"{root} holds several models ({', '.join(sorted(entries))}) and none is {DEFAULT_MODEL!r}: "
                f"choose the default with --model"
            )
        return cls(entries, default)

    def get(self, name: str) -> CatalogEntry:
        """`name` ("" = default) -> entry, or NOT_FOUND listing what exists."""
        entry = self.entries.get(name or self.default)
        if entry is None:
            raise ServiceError(
                "NOT_FOUND", f"model {name!r} is not served here; available: {', '.join(sorted(self.entries))} "
                f"(leave model empty for the default, {self.default!r})"
            )
        return entry

    def __iter__(self):
        return iter(self.entries.values())
