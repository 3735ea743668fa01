"""Pseudonyms for natural persons: the project salt and the reference implementation of the pseudonym.

Sole traders and the partners of a VOF, maatschap or CV are natural persons: their names are personal
data (AVG/GDPR). Beyond the raw layer (`raw`, `resolution`) such a name is replaced by a stable pseudonym,
built in dbt by the macro ``pseudonym`` (``dbt_project/macros/privacy.sql``):

    <label> <first 10 hex digits of sha256(salt || '|' || key), upper case>   e.g. "Eenmanszaak 3F9A2C1B7D"

- ``label`` says what kind of supplier it is (Eenmanszaak, VOF, Maatschap, CV, Rederij; "Leverancier" when
  the legal form is unknown), never who;
- ``key`` is ``kvk:<KvK number>`` when the supplier's organisation is known (so one sole trader has one
  pseudonym in every anchor and in the register), else ``crediteur:<anchor_code>|<creditor number>``;
- ``salt`` is the project's secret: without it the pseudonym cannot be recomputed from a KvK number (an
  unkeyed hash of an 8-digit number is reversed by trying all 10^8 of them).

The salt comes from the environment variable ``CWB_PSEUDONYM_SALT``. Only for the bundled synthetic sample
(``CWB_DATA_DIR`` holds the generator's ``ground_truth/``) is there a default, ``SAMPLE_SALT``, which is
public and therefore protects nothing: real deliveries without the variable stop the dbt run with an
error. The salt reaches DuckDB through the dbt-duckdb plugin ``ingestion.dbt_plugin`` as the session
variable ``cwb_pseudonym_salt``, so it never appears in compiled SQL, dbt's logs or run artefacts, and
nothing here logs it.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

SALT_ENV = "CWB_PSEUDONYM_SALT"
# Public, documented, and used only for the synthetic sample: real data needs its own secret salt.
SAMPLE_SALT = "cwb-synthetic-sample-only-not-secret"
SALT_VARIABLE = "cwb_pseudonym_salt"  # the DuckDB session variable the dbt models read
PSEUDONYM_HEX_DIGITS = 10
MIN_SALT_LENGTH = 16

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class MissingSaltError(RuntimeError):
    """Raised when real (non-sample) data would be pseudonymised without a secret salt."""


def is_synthetic_sample(data_dir: str | os.PathLike[str]) -> bool:
    """The bundled sample is recognised by the generator's ground truth next to the deliveries (the
    same test the dashboard uses for its 'synthetic data' banner)."""
    return (Path(data_dir) / "ground_truth").is_dir()


def data_dir_from_env() -> Path:
    return Path(os.environ.get("CWB_DATA_DIR") or PROJECT_ROOT / "data" / "sample")


def pseudonym_salt(environ: dict[str, str] | None = None, data_dir: str | os.PathLike[str] | None = None) -> str:
    """The salt for this run: CWB_PSEUDONYM_SALT, else the public sample salt when the data is the
    synthetic sample, else an error (the message names the variable, never a value)."""
    env = os.environ if environ is None else environ
    salt = env.get(SALT_ENV, "")
    if salt:
        if len(salt) < MIN_SALT_LENGTH:
            raise MissingSaltError(f"{SALT_ENV} is shorter than {MIN_SALT_LENGTH} characters: use a long random "
                                   "secret (e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)")
        return salt
    folder = Path(data_dir) if data_dir is not None else (
        Path(env["CWB_DATA_DIR"]) if env.get("CWB_DATA_DIR") else PROJECT_ROOT / "data" / "sample")
    if is_synthetic_sample(folder):
        return SAMPLE_SALT
    raise MissingSaltError(
        f"{SALT_ENV} is not set and {folder} is not the synthetic sample: names of sole traders and partners "
        f"are pseudonymised with a secret project salt. Set {SALT_ENV} (keep it in a secret store, never in "
        "the repository) and run again.")


def pseudonym(label: str, key: str, salt: str) -> str:
    """The pseudonym the dbt macro `pseudonym` computes, for tests and for analysts' look-ups."""
    digest = hashlib.sha256(f"{salt}|{key}".encode()).hexdigest()
    return f"{label} {digest[:PSEUDONYM_HEX_DIGITS].upper()}"


def keyed_key(*parts: str | None, salt: str) -> str:
    """The key the dbt macro `keyed_key` computes (supplier_key, establishment_key, candidate_key)."""
    joined = "|".join("_null_" if p is None else str(p) for p in parts)
    return hashlib.sha256(f"{salt}|{joined}".encode()).hexdigest()[:32]
