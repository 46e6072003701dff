"""The demonstration corpus: synthetic texts bundled with the package plus the seed texts.

The seed texts are found, in this order, in the folder given explicitly (``--seeds DIR``), in
the ``seeds`` setting (``$CRITMIN_SEEDS``), or in ``../shared/seeds`` beside the source checkout (DESIGN.md); the current directory
plays no part. When seeds are asked for and none of these holds them, loading stops with an error saying
where it looked.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from critmin.discourse.corpus import AddResult, ManifestRecord, add_documents, read_manifest
from critmin.errors import InputError
from critmin.settings import SETTINGS, get

SEEDS_ENV = SETTINGS["seeds"].env


def demo_dir() -> Path:
    return Path(str(resources.files("critmin.discourse") / "data" / "demo"))


def default_seeds_dir() -> Path | None:
    """``../shared/seeds`` beside the source checkout (as in DESIGN.md), if it exists."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        cand = parent.parent / "shared" / "seeds"
        if (parent / "pyproject.toml").exists() and cand.is_dir():
            return cand
    return None


def resolve_seeds_dir(seeds: str | Path | None = None) -> Path:
    """The seeds folder: ``seeds`` if given, else the ``seeds`` setting, else :func:`default_seeds_dir`.

    Raises :class:`InputError` naming the folder (or the places searched) when it does not exist."""
    if seeds:
        where, folder = "--seeds", Path(seeds).expanduser()
    elif get("seeds"):
        where, folder = SEEDS_ENV, Path(get("seeds")).expanduser()
    else:
        found = default_seeds_dir()
        if found is None:
            raise InputError("seeds", field="folder",
                             expected=f"the seed texts: pass --seeds DIR or set {SEEDS_ENV} "
                                      "(or use --no-seeds for the synthetic texts only)",
                             got="no ../shared/seeds beside the source checkout")
        return found
    if not folder.is_dir():
        raise InputError(str(folder), field=where, expected="a folder holding the seed texts 00N_*.txt",
                         got="missing" if not folder.exists() else "not a folder")
    return folder


def demo_items(seeds: str | Path | None = None, with_seeds: bool = True) -> list[tuple[ManifestRecord, Path]]:
    from critmin.datafile import read_yaml

    folder = demo_dir()
    items = [(r, folder / r.path) for r in read_manifest(folder / "manifest.yaml")]
    if not with_seeds:
        return items
    seeds_dir = resolve_seeds_dir(seeds)
    meta = read_yaml(folder / "seeds.yaml", InputError, "the demo's seeds.yaml")["documents"]
    for m in meta:
        m = dict(m)
        pattern = m.pop("pattern")
        files = sorted(seeds_dir.glob(pattern))
        if not files:
            raise InputError(str(seeds_dir), record=pattern, field="path",
                             expected="a seed text matching the pattern of data/demo/seeds.yaml", got="no such file")
        for f in files:
            items.append((ManifestRecord.model_validate({**m, "path": str(f)}), f))
    return items


def load_demo(warehouse=None, seeds: str | Path | None = None, with_seeds: bool = True, embed: bool = False,
              classifier=None) -> AddResult:
    """Add the demo corpus (and the seed texts) to the warehouse; duplicates are skipped on re-runs."""
    return add_documents(demo_items(seeds, with_seeds), warehouse, manifest="demo", embed=embed,
                         classifier=classifier)
