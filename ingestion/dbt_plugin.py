"""dbt-duckdb plugin: gives every dbt connection the pseudonym salt and the fingerprint of this package's code
as DuckDB session variables.

Configured in ``dbt_project/profiles.yml`` (``plugins: [{module: ingestion.dbt_plugin}]``). The salt is
read from the environment when dbt opens a connection or cursor (``ingestion.privacy.pseudonym_salt``),
never at import time and never by ``dbt parse``, and set with a prepared statement, so it appears in no
compiled SQL, no dbt log and no run artefact. Models read it with ``getvariable('cwb_pseudonym_salt')``
(macro ``pseudonym``). DuckDB session variables belong to one connection, so each cursor dbt-duckdb copies
from the connection gets it too.

``cwb_python_code`` is a hash of the source of every module of this package (``ingestion``), which the dbt
Python models import (``int_disclosure_decisions`` calls ``ingestion.disclosure``): a model built per group
(macros/group_incremental.sql) is rebuilt in full when it changes, as a SQL model is when its SQL changes.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from dbt.adapters.duckdb.plugins import BasePlugin

from ingestion.privacy import SALT_VARIABLE, pseudonym_salt

CODE_VARIABLE = "cwb_python_code"


@cache
def python_code_fingerprint() -> str:
    """md5 over the path and source of every module of the ingestion package, in path order."""
    digest = hashlib.md5()
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _set_variables(conn) -> None:
    conn.execute(f"set variable {SALT_VARIABLE} = $salt", {"salt": pseudonym_salt()})
    conn.execute(f"set variable {CODE_VARIABLE} = $code", {"code": python_code_fingerprint()})


class Plugin(BasePlugin):
    def configure_connection(self, conn) -> None:
        _set_variables(conn)

    def configure_cursor(self, cursor):
        _set_variables(cursor)
        return cursor
