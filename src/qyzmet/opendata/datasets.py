"""The platform's generated datasets: importing this module registers them (see publishers.py).
Other apps' datasets (agency performance, budgets, consultations) are registered from their own
`datasets.py`, imported here so one import is enough."""
