"""Every statement the engine's own SQL runs, in one place per backend: `sqlite.py` and
`postgres.py`, each built from the statements both backends run alike (`portable.py`, written once
with `%s` placeholders) and its own. Code elsewhere names a statement; the session of its backend
(`infrastructure/view_sql.py`) runs it."""
