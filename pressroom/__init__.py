"""pressroom: scraped press releases in, clean deduplicated Parquet out."""

__version__ = "0.1.0"
