"""The providers' identities live in TOML files (infrastructure/providers_data/), one per provider,
each a list of versions with the day it takes effect (domain/identities.py)."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from domain.errors import TermsError
from domain.identities import ProviderIdentities, ProviderIdentity


def identity_files() -> list[Path]:
    folder = resources.files("infrastructure.providers_data")
    return sorted(Path(str(f)) for f in folder.iterdir() if f.name.endswith(".toml"))


def load_identities(files: list[Path] | None = None) -> ProviderIdentities:
    return ProviderIdentities([v for path in files or identity_files() for v in read_versions(path)])


def read_versions(path: Path) -> list[ProviderIdentity]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return [ProviderIdentity.model_validate(v) for v in data.get("version", [])]
    except FileNotFoundError:
        raise TermsError(f"identity file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise TermsError(f"identity file {path} is not valid TOML: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(file)'}: {e['msg']}" for e in exc.errors())
        raise TermsError(f"identity file {path} is refused: {problems}") from None
