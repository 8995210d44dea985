"""A card acquirer simulator that runs as its own HTTP server process (`qyzmet payments_sandbox`,
`python -m qyzmet.payments.sandbox`).

It stands for "someone else's" system, the way a real acquirer would: the platform talks to it
only over HTTP (`providers/sandbox.py` is the client), so it imports nothing of the platform —
no Django, no models — and keeps its own state in its own SQLite file, so a process killed with
`kill -9` and started again still knows every payment and resumes sending the webhooks it owes.

Pieces: `store.py` (the state and its rules), `cards.py` (test cards and the card form's checks),
`pages.py` (the hosted card page in kk/ru/en), `server.py` (the HTTP API, the webhook sender
thread, fault control and the command line). The wire format is described in docs/payments.md.
"""
