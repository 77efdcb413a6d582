"""What finance reads, computed from a fold of clients' events: accounts with the payments applied,
invoices, receivables, attestations, penalties, URSSAF requests' status. The kept rows are written
from them (application/kept_rows.py); the reads that still fold compute them directly."""
