"""This app's open datasets: importing this module registers them (qyzmet.core.open_datasets)."""
