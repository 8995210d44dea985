"""The agency performance evaluation's datasets: importing this module registers them."""
