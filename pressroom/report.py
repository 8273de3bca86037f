"""The run summary: counts and timings as a manifest dict and as markdown for humans."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from schemas import Document

BAR_WIDTH = 30


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
        ("pages skipped: already in the dataset", counts["known"]),
        ("exact duplicates", counts["exact_duplicates"]),
        ("near duplicates", counts["near_duplicates"]),
        ("spun documents", counts["spun"]),
        ("spun copies clustered with a clean original", counts["spun_copies_clustered"]),
        ("wording repairs (spun text restored)", counts["repairs"]),
        ("Unicode repairs (mojibake, invisible characters)", counts["unicode_repairs"]),
        ("duplicates of documents from earlier runs", counts["earlier_duplicates"]),
        ("earlier clusters whose canonical changed", counts["canonical_changes"]),
        ("new clusters", counts["clusters"]),
        ("documents written", counts["written"]),
        ("already in the dataset", counts["already_present"]),
    ]
    lines = [f"# pressroom ingest `{manifest['run_id']}`", "", "| | count |", "|---|---:|"]
    lines += [f"| {label} | {value:,} |" for label, value in rows]
    sizes = Counter({int(k): v for k, v in manifest["cluster_sizes"].items()})
    lines += ["", "## New clusters by size", ""]
    lines += bar_chart(
        {f"{size} document{'s' * (size > 1)}": sizes[size] for size in sorted(sizes)}
    )
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


def bar_chart(counts: dict[str, int]) -> list[str]:
    """A markdown table with a bar of block characters per row, scaled to the largest count."""
    if not counts:
        return ["(none)"]
    largest = max(counts.values()) or 1
    rows = ["| | count | |", "|---|---:|---|"]
    for label, count in counts.items():
        bar = "█" * max(1, round(BAR_WIDTH * count / largest)) if count else ""
        rows.append(f"| {label} | {count:,} | {bar} |")
    return rows


@dataclass
class DocumentTally:
    """What the summary says about a run's documents, added up as they are written (a large
    run's documents are not all kept): per site (host of the URL, or folder of a local file)
    documents, duplicates, spun documents and summed spin score; and spin scores in tenths."""

    sources: dict[str, Counter[str]] = field(default_factory=dict)
    spin_tenths: Counter[int] = field(default_factory=Counter)

    def add(self, docs: Iterable[Document]) -> None:
        for doc in docs:
            source = doc.site or urlsplit(doc.url or doc.source_uri).netloc or _folder(doc.raw_path)
            counts = self.sources.setdefault(source, Counter())
            counts["documents"] += 1
            counts["duplicates"] += not doc.is_canonical
            counts["spun"] += doc.is_spun
            counts["spin_score"] += doc.spin_score
            self.spin_tenths[min(int(doc.spin_score * 10), 9)] += 1

    def by_source(self) -> list[dict]:
        """One row per site, the largest first: the Prefect table artifact of a run."""
        return [
            {
                "source": source,
                "documents": c["documents"],
                "duplicates": c["duplicates"],
                "spun": c["spun"],
                "mean spin score": round(c["spin_score"] / c["documents"], 3),
            }
            for source, c in sorted(self.sources.items(), key=lambda item: -item[1]["documents"])
        ]

    def spin_histogram(self) -> list[str]:
        """How the documents spread over spin scores (tenths), as a bar chart."""
        tenths = self.spin_tenths
        return bar_chart({f"{b / 10:.1f}–{(b + 1) / 10:.1f}": tenths[b] for b in range(10)})


def _folder(path: str) -> str:
    return path.rsplit("/", 2)[-2] if path.count("/") >= 2 else path
