"""Hostile fact lines: each kind of line a parser, a clock conversion or a database could choke on,
and how many of each."""

from __future__ import annotations

import json

AT = "2026-05-01T09:00:00+02:00"


def client(key: str, **fields: object) -> dict:
    return {"key": key, "type": "client.registered", "at": AT, "client_id": f"H-{key}", "provider": "btbconnect",
            "name": "Agence", **fields}


def kinds(n: int) -> dict[str, list[bytes]]:
    """`n` lines of each kind, every one to be refused."""
    def each(make) -> list[bytes]:
        return [make(i) for i in range(n)]

    return {
        "nested 1 200 deep": each(lambda i: b'{"key": "d%d", "x": ' % i + b"[" * 1200 + b"]" * 1200 + b"}"),
        "integer of 5 000 digits": each(lambda i: b'{"key": "i%d", "x": ' % i + b"9" * 5000 + b"}"),
        "business time year 1": each(lambda i: dumps(client(f"y1-{i}", at="0001-01-01T00:00:00+01:00"))),
        "business time year 9999": each(lambda i: dumps(client(f"y9-{i}", at="9999-12-31T23:59:59-01:00"))),
        "lone surrogate in the key": each(lambda i: dumps(client(f"s{i}")).replace(b'"s%d"' % i, b'"s\\ud800"')),
        "NUL in the key": each(lambda i: dumps(client(f"n{i}\u0000"))),
        "NUL in a name": each(lambda i: dumps(client(f"nn{i}", name="A\u0000B"))),
        "U+2028 in a name": each(lambda i: dumps(client(f"ls{i}", name="A\u2028B"), ascii=False)),
        "amount in Arabic digits": each(lambda i: dumps({"key": f"ar{i}", "type": "payment.received", "at": AT,
                                                         "client_id": "X", "amount": "١٠.٠٠", "method": "card"},
                                                        ascii=False)),
        "byte that is not UTF-8": each(lambda i: b'{"key": "l%d", "name": "\xe9"}' % i),
        "unknown type": each(lambda i: dumps({"key": f"u{i}", "type": "client.deleted", "at": AT})),
        "field missing": each(lambda i: dumps({"key": f"m{i}", "type": "client.registered", "at": AT})),
        "not a JSON object": each(lambda i: b"[1, 2, 3]"),
    }


def dumps(fact: dict, ascii: bool = True) -> bytes:
    return json.dumps(fact, ensure_ascii=ascii).encode("utf-8")
