"""The demonstration corpus: synthetic texts bundled with the package plus the seed texts (if present)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from critmin.discourse.corpus import AddResult, ManifestRecord, add_documents, read_manifest


def demo_dir() -> Path:
    return Path(str(resources.files("critmin.discourse") / "data" / "demo"))


def default_seeds_dir() -> Path | None:
    """``../shared/seeds`` next to the repository (as in DESIGN.md), if it exists."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        cand = parent.parent / "shared" / "seeds"
        if (parent / "pyproject.toml").exists() and cand.is_dir():
            return cand
    return None


def demo_items(seeds: str | Path | None = None, with_seeds: bool = True) -> list[tuple[ManifestRecord, Path]]:
    import yaml

    folder = demo_dir()
    items = [(r, folder / r.path) for r in read_manifest(folder / "manifest.yaml")]
    seeds_dir = Path(seeds) if seeds else (default_seeds_dir() if with_seeds else None)
    if with_seeds and seeds_dir is not None:
        meta = yaml.safe_load((folder / "seeds.yaml").read_text(encoding="utf-8"))["documents"]
        for m in meta:
            m = dict(m)
            for f in sorted(seeds_dir.glob(m.pop("pattern"))):
                items.append((ManifestRecord.model_validate({**m, "path": str(f)}), f))
    return items


def load_demo(warehouse=None, seeds: str | Path | None = None, with_seeds: bool = True, embed: bool = False,
              classifier=None) -> AddResult:
    """Add the demo corpus (and the seed texts) to the warehouse; duplicates are skipped on re-runs."""
    return add_documents(demo_items(seeds, with_seeds), warehouse, manifest="demo", embed=embed,
                         classifier=classifier)
