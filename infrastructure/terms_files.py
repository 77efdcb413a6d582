"""Terms versions live in TOML files: the shipped ones, and any an auditor writes."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from domain.errors import TermsError
from domain.terms import Terms
from domain.terms_catalog import AnyTerms, TermsCatalog

_ADAPTER: TypeAdapter[AnyTerms] = TypeAdapter(Terms)


def builtin_files() -> list[Path]:
    folder = resources.files("infrastructure.terms_data")
    return sorted(Path(str(f)) for f in folder.iterdir() if f.name.endswith(".toml"))


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TermsError(f"terms file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise TermsError(f"terms file {path} is not valid TOML: {exc}") from None


def merged(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A derived version: the base with every changed parameter replaced, tables merged."""
    result = dict(base)
    for name, value in changes.items():
        if isinstance(value, dict) and isinstance(base.get(name), dict):
            result[name] = merged(base[name], value)
        else:
            result[name] = value
    return result


def validate(data: dict[str, Any], origin: str) -> AnyTerms:
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(file)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise TermsError(f"terms file {origin} is refused: {problems}") from None


class TermsLibrary:
    """Raw documents by reference, so that a derived file can name its base."""

    def __init__(self) -> None:
        self._raw: dict[str, dict[str, Any]] = {}
        self._versions: list[AnyTerms] = []

    def add_file(self, path: Path) -> AnyTerms:
        data = read_toml(path)
        base_ref = data.get("derived_from")
        if base_ref is not None:
            if base_ref not in self._raw:
                raise TermsError(f"terms file {path}: derived_from {base_ref!r} is unknown")
            data = merged(self._raw[base_ref], data)
        terms = validate(data, str(path))
        self._raw[terms.reference] = data
        self._versions.append(terms)
        return terms

    def catalog(self) -> TermsCatalog:
        return TermsCatalog(self._versions)


def load_catalog(extra_files: list[Path] | None = None) -> TermsCatalog:
    library = TermsLibrary()
    for path in builtin_files():
        library.add_file(path)
    for path in extra_files or []:
        library.add_file(path)
    return library.catalog()


def load_version(reference_or_path: str) -> tuple[TermsCatalog, AnyTerms]:
    """A version named by reference, or an auditor's file (which may derive from a shipped one);
    the catalog returned knows it."""
    path = Path(reference_or_path)
    if not (reference_or_path.endswith(".toml") or path.exists()):
        catalog = load_catalog()
        return catalog, catalog.get(reference_or_path)
    library = TermsLibrary()
    for shipped in builtin_files():
        library.add_file(shipped)
    version = library.add_file(path)
    return library.catalog(), version
