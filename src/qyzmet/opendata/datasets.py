"""The platform's generated datasets (service catalogue, applications, deadlines, appeals,
ratings): importing this module registers them (qyzmet.core.open_datasets.register)."""
