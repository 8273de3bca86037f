"""The run summary: counts and timings as a manifest dict and as markdown for humans."""

from __future__ import annotations

from collections import Counter


def summary_markdown(manifest: dict) -> str:
    """A markdown run summary (the Prefect artifact of an ingest run)."""
    counts = manifest["counts"]
    rows = [
        ("files", counts["files"]),
        ("read (pages and unreadable files)", counts["read"]),
        ("extracted", counts["extracted"]),
        ("empty (no article text)", counts["empty"]),
        ("quarantined", counts["quarantined"]),
        ("repeated inputs (same source and bytes)", counts["repeated"]),
        ("site boilerplate lines removed from", counts["boilerplate_cleaned"]),
        ("exact duplicates", counts["exact_duplicates"]),
        ("near duplicates", counts["near_duplicates"]),
        ("spun documents", counts["spun"]),
        ("spun copies clustered with a clean original", counts["spun_copies_clustered"]),
        ("wording repairs (spun text restored)", counts["repairs"]),
        ("Unicode repairs (mojibake, invisible characters)", counts["unicode_repairs"]),
        ("clusters", counts["clusters"]),
        ("documents written", counts["written"]),
        ("already in the dataset", counts["already_present"]),
    ]
    lines = [f"# pressroom ingest `{manifest['run_id']}`", "", "| | count |", "|---|---:|"]
    lines += [f"| {label} | {value:,} |" for label, value in rows]
    lines += ["", "## Cluster sizes", "", "| size | clusters |", "|---:|---:|"]
    sizes = Counter({int(k): v for k, v in manifest["cluster_sizes"].items()})
    lines += [f"| {size} | {sizes[size]:,} |" for size in sorted(sizes)]
    fetch = manifest.get("fetch", {})
    if fetch.get("requests"):
        lines += ["", "## Fetching", "", "| | count |", "|---|---:|"]
        lines += [
            f"| {label} | {fetch[key]:,} |"
            for label, key in [
                ("HTTP requests (robots.txt included)", "requests"),
                ("bytes received (decompressed)", "bytes"),
                ("retries", "retries"),
                ("not modified (304)", "not_modified"),
                ("refused by robots.txt", "robots_refused"),
                ("failed URLs", "failed"),
                ("pages archived", "pages_archived"),
                ("feeds and sitemaps read", "listings"),
            ]
        ]
        lines += ["", "| HTTP status | responses |", "|---:|---:|"]
        lines += [f"| {status} | {n:,} |" for status, n in sorted(fetch["statuses"].items())]
    if manifest["quarantined_by_stage"]:
        lines += ["", "## Quarantined by stage", "", "| stage | items |", "|---|---:|"]
        lines += [f"| {stage} | {n:,} |" for stage, n in manifest["quarantined_by_stage"].items()]
    lines += ["", "## Timings", "", "| stage | seconds |", "|---|---:|"]
    lines += [f"| {stage} | {secs:.2f} |" for stage, secs in manifest["timings_s"].items()]
    lines += ["", f"Output: `{manifest['out']}`"]
    return "\n".join(lines) + "\n"
