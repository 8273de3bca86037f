"""The run summary: counts and timings as a manifest dict, as markdown for the Prefect UI and
as text for the terminal; why a run failed and hints that help."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pressroom.schemas import Document, QuarantineRecord

BAR_WIDTH = 30
REASONS_KEPT = 20
"""Most common quarantine reasons a manifest lists."""
REASONS_SHOWN = 5
"""Most common quarantine reasons the terminal summary shows."""

_VARYING_PARTS = [  # parts of a quarantine reason that name the item, not the problem
    (re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"()]+", re.IGNORECASE), "<url>"),
    (re.compile(r"refused: \S+ is "), "refused: <address> is "),
    (re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}\b"), "<address>"),
    (re.compile(r"cannot resolve \S+:"), "cannot resolve <host>:"),
    (re.compile(r"(?<![\w.<>])/[^\s'\"]*[^\s'\":,.;)]"), "<path>"),
    (re.compile(r"\b\d[\d,]{3,}\b"), "<n>"),
]
_PRIVATE_REFUSAL = re.compile(
    r"refused: <address> is (a private|a loopback|a link-local|not a public)"
)
_NO_NETWORK = ("cannot resolve", "connection failed", "timed out")
"""Words of fetch failures (of a page or of its host's robots.txt) that no network explains."""


def reason_group(error: str) -> str:
    """A quarantine reason with the URLs, addresses, paths and sizes that vary between items
    replaced by placeholders, so that items that failed the same way count together."""
    for pattern, placeholder in _VARYING_PARTS:
        error = pattern.sub(placeholder, error)
    return error


def reason_counts(records: Iterable[QuarantineRecord]) -> Counter[tuple[str, str]]:
    """How many records failed at each (stage, reason group)."""
    return Counter((record.stage, reason_group(record.error)) for record in records)


def common_reasons(counts: Counter[tuple[str, str]], limit: int = REASONS_KEPT) -> list[dict]:
    """The most common (stage, reason group) pairs, as the manifest lists them."""
    return [
        {"stage": stage, "reason": reason, "count": n}
        for (stage, reason), n in counts.most_common(limit)
    ]


class NoDocumentProduced(RuntimeError):
    """The run's inputs gave no document (every item quarantined, or nothing found); raised
    after the quarantine records and the manifest (``manifest``) are written."""

    def __init__(self, reason: str, manifest: dict | None = None):
        super().__init__(reason)
        self.manifest = manifest


def failure_reason(manifest: dict) -> str | None:
    """Why a run counts as failed (its inputs gave no document at all), or None.

    A run whose documents were all in the dataset already, or whose pages were all unchanged
    since the last fetch (304), did its job.
    """
    counts = manifest["counts"]
    if counts["documents"] or manifest["fetch"].get("not_modified"):
        return None
    if counts["quarantined"]:
        top = manifest["quarantine_reasons"][0]
        return (
            f"no document produced: {counts['quarantined']:,} items quarantined, "
            f"most often at {top['stage']}: {top['reason']}"
        )
    if not counts["files"] and not counts["web_sources"]:
        return f"no input files found under {', '.join(manifest['inputs']) or 'the inputs given'}"
    return "no document produced: the sources listed nothing to ingest"


def hints(manifest: dict) -> list[str]:
    """What the user could do about the run's failures, where the reasons suggest something."""
    fetch_reasons = [r for r in manifest["quarantine_reasons"] if r["stage"] == "fetch"]
    found = []
    private = sum(r["count"] for r in fetch_reasons if _PRIVATE_REFUSAL.search(r["reason"]))
    if private and not manifest["parameters"]["fetch"]["allow_private"]:
        found.append(
            f"{private:,} URLs refused as private or loopback addresses: --allow-private "
            "fetches them (for hosts you trust)"
        )
    unreachable = sum(
        r["count"] for r in fetch_reasons if any(words in r["reason"] for words in _NO_NETWORK)
    )
    if unreachable and not manifest["fetch"].get("pages_archived"):
        found.append(
            f"no page could be fetched ({unreachable:,} URLs unreachable): check the network "
            "connection, DNS and proxy settings (HTTPS_PROXY) of this machine"
        )
    return found


def summary_lines(manifest: dict) -> list[str]:
    """The run summary the command line prints once, at the end of a run."""
    counts, fetch = manifest["counts"], manifest["fetch"]
    lines = [f"run {manifest['run_id']} -> {manifest['out']}"]
    if counts["web_sources"]:
        lines.append(
            f"  fetched      {fetch['pages_archived']:,} pages archived, "
            f"{fetch['not_modified']:,} not modified since the last run, "
            f"{fetch['failed']:,} URLs failed"
        )
    lines += [
        f"  documents    {counts['documents']:,}: {counts['written']:,} written, "
        f"{counts['already_present']:,} already in the dataset",
        f"  duplicates   {counts['exact_duplicates']:,} exact, {counts['near_duplicates']:,} near, "
        f"{counts['spun_copies_clustered']:,} spun copies of a clean original, "
        f"{counts.get('paraphrases_clustered', 0):,} paraphrased copies of their original",
        f"  spun         {counts['spun']:,} documents judged spun, "
        f"{counts['repairs']:,} wording repairs",
    ]
    stages = ", ".join(f"{stage} {n:,}" for stage, n in manifest["quarantined_by_stage"].items())
    lines.append(f"  quarantined  {counts['quarantined']:,}" + (f" ({stages})" if stages else ""))
    reasons = manifest["quarantine_reasons"][:REASONS_SHOWN]
    width = max((len(f"{r['count']:,}") for r in reasons), default=0)
    lines += [f"    {r['count']:>{width},}  {r['stage']}: {r['reason']}" for r in reasons]
    if len(manifest["quarantine_reasons"]) > REASONS_SHOWN:
        lines.append(f"    (every reason: {manifest['out']}/quarantine/)")
    lines += [f"  hint: {hint}" for hint in hints(manifest)]
    return lines


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
        ("near duplicates (spun copies not included)", counts["near_duplicates"]),
        ("spun copies clustered with a clean original", counts["spun_copies_clustered"]),
        (
            "paraphrased copies clustered with their original",
            counts.get("paraphrases_clustered", 0),
        ),
        ("spun documents", counts["spun"]),
        ("wording repairs (spun text restored)", counts["repairs"]),
        ("Unicode repairs (mojibake, invisible characters)", counts["unicode_repairs"]),
        ("duplicates of documents from earlier runs", counts["earlier_duplicates"]),
        ("earlier clusters whose canonical changed", counts["canonical_changes"]),
        ("new clusters", counts["clusters"]),
        ("documents (written or already in the dataset)", counts["documents"]),
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
        lines += ["", "## Most common reasons", "", "| stage | reason | items |", "|---|---|---:|"]
        lines += [
            f"| {r['stage']} | {r['reason'].replace('|', '/')} | {r['count']:,} |"
            for r in manifest["quarantine_reasons"]
        ]
    if manifest.get("failure"):
        lines += ["", f"**Run failed**: {manifest['failure']}"]
    for hint in hints(manifest):
        lines += ["", f"**Hint**: {hint}"]
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
