"""dbt-duckdb plugin: gives every dbt connection the pseudonym salt as a DuckDB session variable.

Configured in ``dbt_project/profiles.yml`` (``plugins: [{module: ingestion.dbt_plugin}]``). The salt is
read from the environment when dbt opens a connection or cursor (``ingestion.privacy.pseudonym_salt``),
never at import time and never by ``dbt parse``, and set with a prepared statement, so it appears in no
compiled SQL, no dbt log and no run artefact. Models read it with ``getvariable('cwb_pseudonym_salt')``
(macro ``pseudonym``). DuckDB session variables belong to one connection, so each cursor dbt-duckdb copies
from the connection gets it too.
"""

from __future__ import annotations

from dbt.adapters.duckdb.plugins import BasePlugin

from ingestion.privacy import SALT_VARIABLE, pseudonym_salt


def _set_salt(conn) -> None:
    conn.execute(f"set variable {SALT_VARIABLE} = $salt", {"salt": pseudonym_salt()})


class Plugin(BasePlugin):
    def configure_connection(self, conn) -> None:
        _set_salt(conn)

    def configure_cursor(self, cursor):
        _set_salt(cursor)
        return cursor
