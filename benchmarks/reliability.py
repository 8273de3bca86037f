"""Reliability of the Delta dataset under crashes and concurrent writers, measured with the real
``pressroom`` command line (each process with its own PREFECT_HOME, Prefect's ephemeral mode).

Inputs: ``data/samples`` plus ``--pages`` generated HTML pages (``tests/pages.article_html``):
distinct articles of random sentences, and for every third one a near-duplicate (a random
sentence added: no sentence is shared by pages, so no chunk learns one as site boilerplate and
a page's stored text does not depend on the pages it is chunked with) named so that it sorts
into a later chunk, so that clusters span chunks and canonicals change in place. Runs use
``--chunk-size`` (default 8): several commits per table per run.

1. Crash: a reference run over all inputs into its own dataset (its duration D and the moment
   its first documents commit appeared are measured). Then ``--kills`` times (default 5), an
   ingest of the same inputs into a new dataset is started and killed with SIGKILL (the
   ``pressroom`` process only, as ``kill -9 PID``) at a random moment: odd kills after a random
   time in (0, D), even kills a moment (0-0.3 s) after a random commit number (1 .. the
   reference's commits, all tables) has appeared, so during the commits. After each kill a
   reader opens the table (``Dataset(out).documents.read()``): it must succeed with no
   duplicate doc_id. Children of the killed process still alive afterwards are reported, then
   killed. Then a clean re-run; its doc_ids, clusters and canonicals against the reference.
2. Concurrency: 2, then 3 ingests of overlapping subsets of the inputs into one dataset at once
   (the dataset's flock makes them take turns), then ``pressroom compact`` and an ingest at
   once on a dataset a kill left part-written (compact first, so it compacts while the ingest
   waits for the lock). During each, a reader process loops as fast as it can:
   ``Dataset(out).documents.read(["doc_id", "is_canonical", "cluster_id"])``, then duckdb
   over that Arrow table counts duplicate doc_ids and clusters whose number of canonicals is
   not 1. Printed: reads, errors (with the first), empty reads (no table yet),
   reads with duplicates, reads with a cluster without exactly one canonical.
3. End: each concurrent dataset's doc_ids, clusters and canonicals against the reference.

    .venv/bin/python benchmarks/reliability.py [--pages 40] [--kills 5] [--chunk-size 8]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.pages import PARAGRAPHS, article_html  # noqa: E402

PRESSROOM = str(Path(sys.executable).with_name("pressroom"))
SAMPLES = ROOT / "data" / "samples"


def words() -> list[str]:
    """A vocabulary for generated articles: the words of the test paragraphs and samples."""
    text = " ".join(PARAGRAPHS) + " ".join(p.read_text() for p in sorted(SAMPLES.iterdir()))
    return sorted({w.strip(".,;:()\"'").lower() for w in text.split() if w.isalpha()})


def sentence(rng: random.Random, vocabulary: list[str]) -> str:
    chosen = rng.choices(vocabulary, k=rng.randint(12, 20))
    return " ".join(chosen).capitalize() + "."


def write_inputs(folder: Path, pages: int, seed: int) -> list[Path]:
    """The samples and ``pages`` generated pages in ``folder``; every path, sorted."""
    shutil.copytree(SAMPLES, folder)
    rng, vocabulary = random.Random(seed), words()
    for number in range(pages):
        paragraphs = [" ".join(sentence(rng, vocabulary) for _ in range(3)) for _ in range(5)]
        title = f"Statement {number}: " + sentence(rng, vocabulary)[:40]
        (folder / f"page-{number:03d}.html").write_text(article_html(title, paragraphs))
        if number % 3 == 0:
            updated = [*paragraphs, sentence(rng, vocabulary)]
            (folder / f"zz-update-{number:03d}.html").write_text(article_html(title, updated))
    return sorted(folder.iterdir())


def environment(home: Path) -> dict[str, str]:
    env = {**os.environ, "PREFECT_HOME": str(home)}
    env.pop("PREFECT_API_URL", None)
    return env


@dataclass
class Run:
    """A ``pressroom`` process and the PREFECT_HOME that also holds its output."""

    process: subprocess.Popen
    home: Path

    @property
    def pid(self) -> int:
        return self.process.pid


def launch(args: list[str], work: Path) -> Run:
    """``pressroom ARGS`` in its own session, with a private PREFECT_HOME."""
    home = Path(tempfile.mkdtemp(prefix="prefect-", dir=work))
    with (home / "output.txt").open("w") as log:
        process = subprocess.Popen(
            [PRESSROOM, *args],
            env=environment(home),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Run(process, home)


def finish(run: Run, timeout: float = 600) -> tuple[int, str]:
    """Wait for ``run``; its exit code and the last lines of its output."""
    code = run.process.wait(timeout=timeout)
    lines = (run.home / "output.txt").read_text().splitlines()
    if not code:
        return code, "\n".join(lines[-6:])
    frames = [line for line in lines if str(ROOT) in line or line.startswith("error:")]
    return code, "\n".join([*frames[-12:], *lines[-3:]])


def ingest_args(files: list[Path], out: Path, chunk_size: int) -> list[str]:
    return ["ingest", *map(str, files), "--out", str(out), "--chunk-size", str(chunk_size)]


@dataclass
class Snapshot:
    """What a dataset holds: doc_ids, clusters (sets of doc_ids) and canonical doc_ids."""

    doc_ids: set[str]
    clusters: set[frozenset[str]]
    canonicals: set[str]
    duplicates: int

    @classmethod
    def of(cls, out: Path) -> Snapshot:
        from pressroom.dataset import Dataset

        table = Dataset(out).documents.read(["doc_id", "cluster_id", "is_canonical"]).to_pylist()
        members: dict[str, set[str]] = {}
        for row in table:
            members.setdefault(row["cluster_id"], set()).add(row["doc_id"])
        ids = [row["doc_id"] for row in table]
        return cls(
            set(ids),
            {frozenset(m) for m in members.values()},
            {row["doc_id"] for row in table if row["is_canonical"]},
            len(ids) - len(set(ids)),
        )

    def differences(self, reference: Snapshot) -> list[str]:
        found = [f"{self.duplicates} duplicate doc_id rows"] if self.duplicates else []
        for name in ("doc_ids", "clusters", "canonicals"):
            mine, theirs = getattr(self, name), getattr(reference, name)
            if mine != theirs:
                found.append(
                    f"{name}: {len(mine - theirs)} extra, {len(theirs - mine)} missing "
                    f"(of {len(theirs)}); e.g. extra {sorted(map(str, mine - theirs))[:2]}, "
                    f"missing {sorted(map(str, theirs - mine))[:2]}"
                )
        return found


def documents_version(out: Path) -> int | None:
    log = out / "documents" / "_delta_log"
    commits = sorted(log.glob("*.json")) if log.is_dir() else []
    return int(commits[-1].stem) if commits else None


def reference_run(files: list[Path], out: Path, work: Path, chunk_size: int) -> tuple[float, float]:
    """Run an uninterrupted ingest; its duration and when its first documents commit appeared."""
    began = time.monotonic()
    process = launch(ingest_args(files, out, chunk_size), work)
    first_commit = None
    while process.process.poll() is None:
        if first_commit is None and documents_version(out) is not None:
            first_commit = time.monotonic() - began
        time.sleep(0.05)
    duration = time.monotonic() - began
    code, tail = finish(process)
    if code != 0:
        raise SystemExit(f"reference run failed ({code}):\n{tail}")
    return duration, first_commit if first_commit is not None else duration / 2


def survivors(process: Run) -> list[str]:
    """The processes of ``process``'s session still alive (its orphaned children; zombies
    left unreaped are not counted)."""
    listing = subprocess.run(
        ["ps", "-o", "pid=,args=", "-s", str(process.pid)], capture_output=True, text=True
    )
    lines = [line.strip()[:100] for line in listing.stdout.splitlines()]
    return [line for line in lines if line and not line.endswith("<defunct>")]


def kill_session(process: Run) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def commits(out: Path) -> int:
    """The commits of every table of ``out`` so far."""
    return len(list(out.glob("*/_delta_log/*.json")))


def kill_run(files: list[Path], out: Path, work: Path, args, when: tuple[str, float]) -> str:
    """Start an ingest into ``out`` and SIGKILL it: after ``when`` seconds ("time"), or a
    moment after the table commit number ``when`` appears ("commit"); say what happened."""
    mode, value = when
    run = launch(ingest_args(files, out, args.chunk_size), work)
    began = time.monotonic()
    if mode == "time":
        with contextlib.suppress(subprocess.TimeoutExpired):
            run.process.wait(timeout=value)
    else:
        while run.process.poll() is None and commits(out) < value:
            time.sleep(0.01)
        time.sleep(random.uniform(0, 0.3))
    killed = run.process.poll() is None
    if killed:
        os.kill(run.pid, signal.SIGKILL)
        run.process.wait()
    elapsed = time.monotonic() - began
    time.sleep(1.0)
    left = survivors(run)
    kill_session(run)
    where = f"after {value:.1f} s" if mode == "time" else f"at commit {value:.0f}"
    said = f"killed at {elapsed:5.1f} s ({where})" if killed else f"finished ({where})"
    if left:
        said += f"; {len(left)} processes outlived it: " + " | ".join(left[:3])
    return said


def read_after_kill(out: Path) -> str:
    try:
        snapshot = Snapshot.of(out)
    except Exception as error:  # the finding: print it, go on
        return f"version {documents_version(out)}, READER FAILED: {error!r:.300}"
    rows = len(snapshot.doc_ids) + snapshot.duplicates
    return (
        f"version {documents_version(out)}, {rows} rows visible, reader ok, "
        f"{snapshot.duplicates} duplicate doc_ids"
    )


def crash_part(files: list[Path], work: Path, args: argparse.Namespace) -> tuple[Snapshot, Path]:
    """Part 1; returns the reference snapshot and a copy of a dataset a kill left part-written
    (for the compaction check of part 2)."""
    print("== 1. crash: kill -9 during ingest, reader after each, then a clean re-run")
    reference_out = work / "reference"
    duration, first_commit = reference_run(files, reference_out, work, args.chunk_size)
    reference, total = Snapshot.of(reference_out), commits(reference_out)
    print(
        f"reference run: {duration:.1f} s, first documents commit at {first_commit:.1f} s, "
        f"{total} commits, documents version {documents_version(reference_out)}, "
        f"{len(reference.doc_ids)} documents, {len(reference.clusters)} clusters"
    )
    rng, partial = random.Random(args.seed), work / "partial"
    for kill in range(1, args.kills + 1):
        out = work / f"crashed-{kill}"
        when = ("time", rng.uniform(0, duration)) if kill % 2 else ("commit", rng.randint(1, total))
        print(f"kill {kill}: {kill_run(files, out, work, args, when)}")
        print(f"    reader: {read_after_kill(out)}")
        if not partial.exists() and documents_version(out) is not None:
            shutil.copytree(out, partial)
        code, tail = finish(launch(ingest_args(files, out, args.chunk_size), work))
        print(f"    clean re-run: exit {code}" + (f"\n{tail}" if code else ""))
        compare("    after the re-run", out, reference)
    return reference, partial


def compare(label: str, out: Path, reference: Snapshot) -> None:
    try:
        problems = Snapshot.of(out).differences(reference)
    except Exception as error:
        problems = [f"cannot read: {error!r:.300}"]
    print(f"{label}: " + ("same as the reference" if not problems else "; ".join(problems)))


def start_reader(out: Path, work: Path) -> tuple[subprocess.Popen, Path, Path]:
    stop, report = work / f"stop-{out.name}", work / f"reads-{out.name}.json"
    process = subprocess.Popen(
        [sys.executable, __file__, "--read", str(out), str(stop), str(report)],
        env=environment(work),
    )
    return process, stop, report


def stop_reader(reader: tuple[subprocess.Popen, Path, Path]) -> dict:
    process, stop, report = reader
    stop.touch()
    process.wait(timeout=120)
    return json.loads(report.read_text())


def read_loop(out: Path, stop: Path, report: Path) -> None:
    """The reader process: read the documents table until ``stop`` exists; write the counts."""
    import duckdb

    from pressroom.dataset import Dataset

    counts = {"reads": 0, "errors": 0, "empty": 0, "duplicates": 0, "not_one_canonical": 0}
    first_error = None
    while not stop.exists():
        try:
            table = Dataset(out).documents.read(["doc_id", "is_canonical", "cluster_id"])
            connection = duckdb.connect()
            connection.register("t", table)
            duplicates = connection.sql("select count(*) - count(distinct doc_id) from t")
            clusters = connection.sql(
                "select count(*) from (select cluster_id from t group by cluster_id "
                "having count(*) filter (where is_canonical) != 1)"
            )
            counts["duplicates"] += duplicates.fetchall()[0][0] > 0
            counts["not_one_canonical"] += clusters.fetchall()[0][0] > 0
            counts["empty"] += table.num_rows == 0
            connection.close()
        except Exception as error:
            counts["errors"] += 1
            first_error = first_error or f"{error!r:.400}"
        counts["reads"] += 1
    report.write_text(json.dumps({**counts, "first_error": first_error}))


def concurrent_part(
    label: str, subsets: list[list[Path]], out: Path, work: Path, args: argparse.Namespace
) -> None:
    """Ingest ``subsets`` into ``out`` at once, a reader looping meanwhile."""
    reader = start_reader(out, work)
    began = time.monotonic()
    processes = [launch(ingest_args(s, out, args.chunk_size), work) for s in subsets]
    results = [finish(p) for p in processes]
    elapsed = time.monotonic() - began
    reads = stop_reader(reader)
    codes = [code for code, _ in results]
    print(f"{label}: exits {codes} in {elapsed:.1f} s; reader: {format_reads(reads)}")
    for code, tail in results:
        if code:
            print(f"    failed run: {tail}")


def format_reads(reads: dict) -> str:
    text = (
        f"{reads['reads']} reads, {reads['errors']} errors, {reads['empty']} empty, "
        f"{reads['duplicates']} with duplicate doc_ids, {reads['not_one_canonical']} with a "
        "cluster without exactly one canonical"
    )
    return text + (f"; first error: {reads['first_error']}" if reads["first_error"] else "")


def ingest_and_compact(
    files: list[Path], partial: Path, work: Path, args: argparse.Namespace
) -> Path:
    """``partial`` (a dataset a kill left part-written, with several small files; else one
    with the first third of ``files``): ``pressroom compact`` started, and an ingest of every
    file started ``--head-start`` seconds later (so the compaction runs while the ingest waits
    for the lock, and the reader reads during both); returns the dataset."""
    out = partial
    if not partial.exists():
        part = files[: len(files) // 3]
        code, tail = finish(launch(ingest_args(part, out, args.chunk_size), work))
        if code:
            raise SystemExit(f"first part failed ({code}):\n{tail}")
    before = len(out_files(out))
    reader = start_reader(out, work)
    began = time.monotonic()
    compact = launch(["compact", str(out)], work)
    time.sleep(args.head_start)
    ingest = launch(ingest_args(files, out, args.chunk_size), work)
    (compact_code, compact_tail), (ingest_code, ingest_tail) = finish(compact), finish(ingest)
    elapsed = time.monotonic() - began
    reads = stop_reader(reader)
    said = compact_tail.splitlines()[-1] if compact_tail else ""
    print(
        f"compact + ingest: exits {compact_code}, {ingest_code} in {elapsed:.1f} s "
        f"(documents had {before} data files; compact said: {said}); "
        f"reader: {format_reads(reads)}"
    )
    if ingest_code:
        print(f"    ingest failed: {ingest_tail}")
    return out


def out_files(out: Path) -> list[str]:
    """The data files of the latest version of ``out``'s documents table."""
    from pressroom.dataset import Dataset

    table = Dataset(out).documents.open()
    return [] if table is None else table.file_uris()


def overlapping(files: list[Path], parts: int) -> list[list[Path]]:
    """``parts`` subsets of ``files`` that overlap and together cover them."""
    size = len(files)
    if parts == 2:
        return [files[: size * 3 // 5], files[size * 2 // 5 :]]
    return [files[: size // 2], files[size // 4 : size * 3 // 4], files[size // 2 :] + files[:5]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--chunk-size", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--head-start", type=float, default=0.5)
    parser.add_argument(
        "--read", nargs=3, metavar=("OUT", "STOP", "REPORT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.read:
        read_loop(*map(Path, args.read))
        return
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="reliability-") as folder:
        work = Path(folder)
        files = write_inputs(work / "inputs", args.pages, args.seed)
        print(f"inputs: {len(files)} files (5 samples, {len(files) - 5} generated pages)")
        reference, partial = crash_part(files, work, args)
        print("== 2. concurrency: a reader loops during each")
        for parts in (2, 3):
            out = work / f"concurrent-{parts}"
            concurrent_part(f"{parts} ingests at once", overlapping(files, parts), out, work, args)
            compare(f"{parts} ingests at once, end", out, reference)
        compacted = ingest_and_compact(files, partial, work, args)
        compare("ingest + compact, end", compacted, reference)
    print(f"total {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
