"""The statements SQLite and PostgreSQL run alike, with `%s` placeholders. A `{keys}` slot takes
a list of placeholders (`IN ({keys})`), a `{rows}` slot the rows of an insert, `{table}` one of the
views' tables. `sqlite.py` and `postgres.py` complete them for their backend."""

from __future__ import annotations

TRACKING = {
    "tracking.add": "INSERT INTO projection_tracking (name, position) VALUES (%s, 0) ON CONFLICT (name) DO NOTHING",
    "tracking.move": "UPDATE projection_tracking SET position = %s WHERE name = %s",
    "tracking.reset": "UPDATE projection_tracking SET position = 0 WHERE name = %s",
    "tracking.all": "SELECT name, position FROM projection_tracking",
    "tracking.of": "SELECT name, position FROM projection_tracking WHERE name IN ({keys})",
    "tracking.position": "SELECT position FROM projection_tracking WHERE name = %s",
    "table.clear": "DELETE FROM {table}",
    "table.count": "SELECT COUNT(*) FROM {table}",
    "table.all": "SELECT * FROM {table}",
}

VIEW_WRITES = {
    "invoices.insert": "INSERT INTO projection_invoices {rows} ON CONFLICT (number) DO NOTHING",
    "balances.insert_new": "INSERT INTO projection_balances {rows} ON CONFLICT (client_id) DO NOTHING",
    "balances.of": "SELECT client_id, provider, name, invoiced, received, documents FROM projection_balances "
                   "WHERE client_id IN ({keys})",
    "balances.upsert": "INSERT INTO projection_balances {rows} ON CONFLICT (client_id) DO UPDATE SET "
                       "invoiced = excluded.invoiced, received = excluded.received, documents = excluded.documents",
    "eligible.of": "SELECT client_id, year, eligible_invoiced, hours FROM projection_eligible WHERE client_id IN ({keys})",
    "eligible.upsert": "INSERT INTO projection_eligible {rows} ON CONFLICT (client_id, year) DO UPDATE SET "
                       "eligible_invoiced = excluded.eligible_invoiced, hours = excluded.hours",
    "streams.of": "SELECT originator_id, client_id FROM projection_streams WHERE originator_id IN ({keys})",
    "streams.insert": "INSERT INTO projection_streams {rows} ON CONFLICT (originator_id) DO NOTHING",
    "stale.clients_of_streams": "SELECT DISTINCT client_id FROM projection_streams WHERE originator_id IN ({keys})",
    "stale.mark": "INSERT INTO projection_stale (client_id, mark) {rows} "
                  "ON CONFLICT (client_id) DO UPDATE SET mark = projection_stale.mark + 1",
}

STREAM_READS = {
    "streams.clients": "SELECT DISTINCT client_id FROM projection_streams",
    "streams.of_clients": "SELECT originator_id, client_id FROM projection_streams WHERE client_id IN ({keys})",
    "streams.of_clients_but_facts": "SELECT originator_id, client_id FROM projection_streams "
                                    "WHERE client_id IN ({keys}) AND fact = 0",
    "streams.owner": "SELECT client_id FROM projection_streams WHERE originator_id = %s",
    "streams.by_client": "SELECT client_id, originator_id FROM projection_streams WHERE fact = 0 ORDER BY client_id",
}

# The optional filters of a read: `column = COALESCE(%s, column)` holds for any row when given None.
KEPT_ROWS = {
    "rows.any_stale": "SELECT 1 FROM projection_stale LIMIT 1",
    # the tables the earliest kept rows lacked: a query of them fails on a store made before them
    "rows.newest_tables": "SELECT (SELECT 1 FROM projection_receivable_rows LIMIT 1), "
                          "(SELECT 1 FROM projection_explanations LIMIT 1), "
                          "(SELECT 1 FROM projection_rows_written LIMIT 1), (SELECT head FROM projection_rows_writes)",
    "rows.stale_of": "SELECT 1 FROM projection_stale WHERE client_id IN ({keys})",
    "rows.all_marks": "SELECT client_id, mark FROM projection_stale",
    "rows.marks_of": "SELECT client_id, mark FROM projection_stale WHERE client_id IN ({keys})",
    "rows.delete": "DELETE FROM {table} WHERE client_id IN ({keys})",
    "rows.insert": "INSERT INTO {table} {rows}",
    "rows.clear_mark": "DELETE FROM projection_stale WHERE client_id = %s AND mark = %s",
    # Each rewrite takes the next number of one counter, as its transaction's last statement: the
    # counter's row lock orders the rewrites' commits as their numbers, so a reader who sees a number
    # sees every rewrite numbered before it. What a reader kept of a client's rows holds while the
    # client's number stays.
    "rows.next_write": "UPDATE projection_rows_writes SET head = head + 1 RETURNING head",
    "rows.count_writes": "INSERT INTO projection_rows_written {rows} ON CONFLICT (client_id) "
                         "DO UPDATE SET written = excluded.written",
    "rows.writes_head": "SELECT head FROM projection_rows_writes",
    "documents.keys": "SELECT provider, issued_on, number FROM projection_documents WHERE "
                      "provider = COALESCE(%s, provider) AND issued_on >= COALESCE(%s, issued_on) "
                      "AND issued_on <= COALESCE(%s, issued_on)",
    "documents.keys_of_client": "SELECT provider, issued_on, number FROM projection_documents WHERE client_id = %s "
                                "AND provider = COALESCE(%s, provider) AND issued_on >= COALESCE(%s, issued_on) "
                                "AND issued_on <= COALESCE(%s, issued_on)",
    "documents.bodies": "SELECT number, body, steps FROM projection_documents WHERE number IN ({keys})",
    # newest first, a page at a time (index projection_documents_issued)
    "documents.newest_keys": "SELECT number FROM projection_documents WHERE provider = COALESCE(%s, provider) "
                             "AND issued_on >= COALESCE(%s, issued_on) AND issued_on <= COALESCE(%s, issued_on) "
                             "ORDER BY issued_on DESC, number DESC LIMIT %s OFFSET %s",
    "documents.newest_keys_of_client": "SELECT number FROM projection_documents WHERE client_id = %s "
                                       "AND provider = COALESCE(%s, provider) AND issued_on >= COALESCE(%s, issued_on) "
                                       "AND issued_on <= COALESCE(%s, issued_on) "
                                       "ORDER BY issued_on DESC, number DESC LIMIT %s OFFSET %s",
    "attestations.clients": "SELECT client_id FROM projection_clients WHERE provider = 'etincelle'",
    "attestations.client": "SELECT client_id FROM projection_clients WHERE provider = 'etincelle' AND client_id = %s",
    "attestations.of_year": "SELECT client_id, body FROM projection_attestation_rows WHERE year = %s",
    "attestations.of_client_year": "SELECT client_id, body FROM projection_attestation_rows "
                                   "WHERE client_id = %s AND year = %s",
    "receivables.clients": "SELECT client_id, name, provider FROM projection_clients "
                           "WHERE provider = COALESCE(%s, provider)",
    "receivables.client": "SELECT client_id, name, provider FROM projection_clients WHERE client_id = %s "
                          "AND provider = COALESCE(%s, provider)",
    "receivables.clients_written": "SELECT c.client_id, c.name, c.provider, COALESCE(w.written, 0) "
                                   "FROM projection_clients c LEFT JOIN projection_rows_written w "
                                   "ON w.client_id = c.client_id",
    "receivables.clients_written_since": "SELECT c.client_id, c.name, c.provider, w.written "
                                         "FROM projection_rows_written w JOIN projection_clients c "
                                         "ON c.client_id = w.client_id WHERE w.written > %s",
    "receivables.bodies": "SELECT client_id, body FROM projection_receivable_rows WHERE client_id IN ({keys})",
    "invoices.last_due_on": "SELECT MAX(due_on) FROM projection_invoices",
    "invoices.count": "SELECT COUNT(*) FROM projection_invoices",
    # totals are written with two decimals (domain.money.fmt): without the point, exact cents to add up
    "invoices.month_cents": "SELECT substr(issued_on, 1, 7), provider, SUM(CAST(REPLACE(total_ttc, '.', '') AS BIGINT)) "
                            "FROM projection_invoices GROUP BY substr(issued_on, 1, 7), provider",
    "documents.steps_of": "SELECT steps FROM projection_documents WHERE number = %s",
    "documents.client_of": "SELECT client_id FROM projection_documents WHERE number = %s",
    "explanations.of": "SELECT body FROM projection_explanations WHERE number = %s",
    "explanations.insert": "INSERT INTO projection_explanations {rows} ON CONFLICT (number) DO NOTHING",
}

VAULT = {  # the clients' data keys (infrastructure/vault.py)
    "vault.shred": "DELETE FROM billing_client_keys WHERE client_id = %s",
    "vault.rekey": "UPDATE billing_client_keys SET data_key = %s WHERE client_id = %s",
    "vault.all_keys": "SELECT client_id, data_key FROM billing_client_keys",
    "vault.key_of": "SELECT data_key FROM billing_client_keys WHERE client_id = %s",
    "vault.insert": "INSERT INTO billing_client_keys (client_id, data_key, created_at) VALUES (%s, %s, %s) "
                    "ON CONFLICT (client_id) DO NOTHING",
}

ADVANCE = {  # a one-shot advance by partitions (infrastructure/advance_run.py): each drafted partition
    "advance.drafted_parts": "SELECT part FROM billing_advance_parts WHERE run = %s",
    "advance.part": "SELECT drafts FROM billing_advance_parts WHERE run = %s AND part = %s",
    "advance.keep_part": "INSERT INTO billing_advance_parts (run, part, drafts) VALUES (%s, %s, %s) "
                         "ON CONFLICT (run, part) DO NOTHING",
    "advance.issued": "SELECT 1 FROM billing_advance_runs WHERE run = %s AND issued_at IS NOT NULL",
    "advance.open_run": "SELECT run FROM billing_advance_runs WHERE state = %s AND issued_at IS NULL "
                        "AND started_at >= %s ORDER BY started_at DESC LIMIT 1",
    "advance.start_run": "INSERT INTO billing_advance_runs (run, state, started_at) VALUES (%s, %s, %s) "
                         "ON CONFLICT (run) DO NOTHING",
    "advance.mark_issued": "UPDATE billing_advance_runs SET issued_at = %s WHERE run = %s",
    "advance.forget_parts": "DELETE FROM billing_advance_parts WHERE run = %s",
    # what the newest run billed (infrastructure/billed_run_store.py)
    "advance.last_billed": "SELECT record FROM billing_advance_billed",
    "advance.forget_billed": "DELETE FROM billing_advance_billed",
    "advance.keep_billed": "INSERT INTO billing_advance_billed (run, record) VALUES (%s, %s)",
}

TOKEN_COLUMNS = "id, name, role, providers, created_at, revoked_at"
TOKENS = {  # the API's tokens (infrastructure/http/tokens.py)
    "tokens.create": "CREATE TABLE IF NOT EXISTS billing_api_tokens (id TEXT PRIMARY KEY, name TEXT NOT NULL, "
                     "role TEXT NOT NULL, providers TEXT NOT NULL, token_hash TEXT NOT NULL, "
                     "created_at TEXT NOT NULL, revoked_at TEXT)",
    "tokens.insert": "INSERT INTO billing_api_tokens (id, name, role, providers, token_hash, created_at) "
                     "VALUES (%s, %s, %s, %s, %s, %s)",
    "tokens.all": f"SELECT {TOKEN_COLUMNS} FROM billing_api_tokens ORDER BY created_at, id",
    "tokens.revoke": "UPDATE billing_api_tokens SET revoked_at = %s WHERE id = %s AND revoked_at IS NULL",
    "tokens.of": f"SELECT {TOKEN_COLUMNS} FROM billing_api_tokens WHERE id = %s",
    "tokens.with_hash": f"SELECT {TOKEN_COLUMNS}, token_hash FROM billing_api_tokens WHERE id = %s",
    "store.ping": "SELECT 1",
}

STATEMENTS = TRACKING | VIEW_WRITES | STREAM_READS | KEPT_ROWS | VAULT | TOKENS | ADVANCE

# Each view's tables, created when a follower starts.
SCHEMAS: dict[str, tuple[str, ...]] = {
    # not a view: the partitions of a one-shot advance, drafted by its workers, until one issues them
    "advance": (
        "CREATE TABLE IF NOT EXISTS billing_advance_parts (run TEXT NOT NULL, part INTEGER NOT NULL, "
        "drafts TEXT NOT NULL, PRIMARY KEY (run, part))",
        # a run: the store state its partitions are drafted against, when its first worker started, when issued
        "CREATE TABLE IF NOT EXISTS billing_advance_runs (run TEXT PRIMARY KEY, state TEXT NOT NULL, "
        "started_at TEXT NOT NULL, issued_at TEXT)",
        # what the newest run that issued everything due billed (application/billed_runs.py)
        "CREATE TABLE IF NOT EXISTS billing_advance_billed (run TEXT PRIMARY KEY, record TEXT NOT NULL)"),
    "tracking": ("CREATE TABLE IF NOT EXISTS projection_tracking (name TEXT PRIMARY KEY, position BIGINT NOT NULL)",),
    "invoices": (
        "CREATE TABLE IF NOT EXISTS projection_invoices (number TEXT PRIMARY KEY, provider TEXT, kind TEXT, "
        "client_id TEXT, doc_key TEXT, issued_on TEXT, due_on TEXT, terms TEXT, total_ht TEXT, total_vat TEXT, "
        "total_ttc TEXT, body TEXT)",),
    "receivables": (
        "CREATE TABLE IF NOT EXISTS projection_balances (client_id TEXT PRIMARY KEY, provider TEXT, name TEXT, "
        "invoiced TEXT, received TEXT, documents INTEGER)",),
    "attestations": (
        "CREATE TABLE IF NOT EXISTS projection_eligible (client_id TEXT, year INTEGER, eligible_invoiced TEXT, "
        "hours TEXT, PRIMARY KEY (client_id, year))",),
    "streams": (
        "CREATE TABLE IF NOT EXISTS projection_streams (originator_id TEXT PRIMARY KEY, client_id TEXT NOT NULL, "
        "fact INTEGER NOT NULL)",
        "CREATE INDEX IF NOT EXISTS projection_streams_client ON projection_streams (client_id, fact)"),
    "rows": (
        "CREATE TABLE IF NOT EXISTS projection_stale (client_id TEXT PRIMARY KEY, mark BIGINT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS projection_clients (client_id TEXT PRIMARY KEY, provider TEXT NOT NULL, "
        "name TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS projection_documents (number TEXT PRIMARY KEY, client_id TEXT NOT NULL, "
        "provider TEXT NOT NULL, issued_on TEXT NOT NULL, body TEXT NOT NULL, steps TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS projection_documents_client ON projection_documents (client_id)",
        "CREATE INDEX IF NOT EXISTS projection_documents_issued ON projection_documents (issued_on, number)",
        "CREATE TABLE IF NOT EXISTS projection_attestation_rows (client_id TEXT NOT NULL, year INTEGER NOT NULL, "
        "body TEXT NOT NULL, PRIMARY KEY (client_id, year))",
        "CREATE TABLE IF NOT EXISTS projection_receivable_rows (client_id TEXT PRIMARY KEY, body TEXT NOT NULL)",
        # a document's explanation, kept when first asked for, until its client's rows are rewritten
        "CREATE TABLE IF NOT EXISTS projection_explanations (number TEXT PRIMARY KEY, client_id TEXT NOT NULL, "
        "body TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS projection_explanations_client ON projection_explanations (client_id)",
        "CREATE TABLE IF NOT EXISTS projection_rows_written (client_id TEXT PRIMARY KEY, written BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS projection_rows_written_at ON projection_rows_written (written)",
        "CREATE TABLE IF NOT EXISTS projection_rows_writes (one INTEGER PRIMARY KEY CHECK (one = 1), head BIGINT NOT NULL)",
        "INSERT INTO projection_rows_writes (one, head) SELECT 1, COALESCE(MAX(written), 0) "
        "FROM projection_rows_written WHERE true ON CONFLICT (one) DO NOTHING",  # WHERE: SQLite's upsert after a SELECT
        # a store whose rows were kept before their receivables: its clients are rewritten at the next read
        "INSERT INTO projection_stale (client_id, mark) SELECT client_id, 0 FROM projection_clients c "
        "WHERE NOT EXISTS (SELECT 1 FROM projection_receivable_rows r WHERE r.client_id = c.client_id) "
        "ON CONFLICT (client_id) DO NOTHING"),
}
