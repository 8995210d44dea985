"""`python -m qyzmet.payments.sandbox --port 8025 --secret ...`: the sandbox acquirer without
Django (the `qyzmet payments_sandbox` command is the same server with defaults from settings)."""

from qyzmet.payments.sandbox.server import main

if __name__ == "__main__":
    main()
