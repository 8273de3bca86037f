"""The web source: what to fetch, fetching it politely, and keeping what was fetched.

``specs`` (sources and a run's plan), ``listings`` (feeds, sitemaps, expansion into page URLs),
``fetcher`` (the polite HTTP fetcher and robots.txt), ``crawl`` (per-host batches, fetched and
archived), ``archive`` (the WARC archive under ``OUT/raw``), ``validators`` (ETag and
Last-Modified kept between runs under ``OUT/state``).
"""
