"""The scale model of docs/scale-model.md: every figure derived from the INPUTS table below (no I/O, no timing).

    .venv/bin/python -m scripts.bench.scale_model            # the doc's tables (markdown)
    .venv/bin/python -m scripts.bench.scale_model --inputs   # the inputs with their sources

Update an input (a new `make bench` figure, a price) and paste the output into docs/scale-model.md.
Each input says where it comes from: ``measured`` (this repository's benches, 2 shared cores), ``aws`` (AWS
documentation or a page quoting AWS's price list; the URL is in docs/scale-model.md) or ``assumed``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

# ------------------------------------------------------------------------------------------------ inputs
# name: (value, unit, source)
INPUTS: dict[str, tuple[float, str, str]] = {
    # sizes (measured: scripts/bench/scan_extract.py on the synthetic generator's items)
    "documents_per_demand": (2.0, "records", "measured (synthetic generator: 2 versions a demand)"),
    "metadata_per_demand": (1.0, "records", "measured"),
    "audit_per_demand": (0.45, "records", "measured (DemandArchived records kept by the extract)"),
    "documents_json_bytes": (702, "B/record", "measured, scan_extract.py"),
    "metadata_json_bytes": (337, "B/record", "measured, scan_extract.py"),
    "audit_json_bytes": (193, "B/record", "measured, scan_extract.py"),
    "gzip_bytes_per_demand": (180, "B/demand", "measured (100,000 demands = 18 MB gzip)"),
    # per-record costs on this machine (2 cores shared by client and server; ~2x slower per core than a server core)
    "load_rows_per_s": (49_300, "rows/s", "measured, make bench at 1 M demands, one process, first load, fast path"),
    "server_copy_rows_per_s": (98_600, "rows/s", "measured, make bench at 1 M demands: server-side COPY, same rows"),
    "scan_item_us": (84.0, "µs/item", "measured, scan_extract.py: item_line + gzip + S3 writer (load avg 3-4)"),
    "export_convert_items_per_s": (25_900, "items/s", "measured, export.py conversion (another helper)"),
    "export_merge_items_per_s": (45_900, "base items/s", "measured, export_merge.py (another helper)"),
    "refresh_us_per_record": (9.9, "µs/record", "measured, make bench at 1 M demands: 34.3 s for 3.45 M records"),
    "core_speedup": (2.0, "x", "assumed: a Lambda vCPU / RDS vCPU does this machine's per-core work 2x faster"),
    "upsert_server_factor": (2.0, "x COPY", "assumed: a daily reload (staging + upsert + delete) vs a first COPY"),
    "heap_bytes_per_json_byte": (1.0, "x", "assumed: raw table heap + indexes ≈ the JSON size"),
    "wal_per_heap_byte": (1.5, "x", "assumed: WAL of one load (heap, indexes, full-page images)"),
    "daily_change_share": (0.05, "share", "assumed: share of items changed a day (incremental export size)"),
    # AWS limits and prices (us-east-1)
    "lambda_memory_mb": (1024, "MB", "this repo: demand_pipeline memory_size_mb default"),
    "lambda_mb_per_vcpu": (1769, "MB", "aws: 1,769 MB = one vCPU"),
    "lambda_max_memory_mb": (10_240, "MB", "aws"),
    "lambda_timeout_s": (900, "s", "aws: 15 min"),
    "lambda_gb_s_usd": (0.0000133334, "$/GB-s", "aws price, arm64"),
    "ddb_rru_usd_per_million": (0.125, "$/M RRU", "aws price, on-demand, after the Nov 2024 cut"),
    "ddb_export_usd_per_gb": (0.10, "$/GB", "assumed: per-GB rate not found in the references"),
    "ddb_incremental_export_usd_per_gb": (0.10, "$/GB", "assumed: per-GB rate not found in the references"),
    "ddb_pitr_usd_per_gb_month": (0.20, "$/GB-month", "aws price"),
    "sfn_usd_per_1000_transitions": (0.025, "$/1,000", "aws price"),
    "s3_usd_per_gb_month": (0.023, "$/GB-month", "aws price, S3 Standard"),
    "export_minutes": (30, "min", "assumed: export wall time (AWS publishes none; the poll allows 4 h)"),
    "rds_gp3_mb_per_s": (125, "MB/s", "aws: gp3 baseline below 400 GiB (500 MB/s from 400 GiB)"),
}

SIZES = (1_000_000, 10_000_000, 100_000_000)
# RDS classes: (vCPU, GiB, $/h single-AZ). t4g.medium: aws price; the others ASSUMED (not found in the references).
RDS_CLASSES = {
    "db.t4g.medium": (2, 4, 0.065),
    "db.r6g.large": (2, 16, 0.225),
    "db.r6g.xlarge": (4, 32, 0.45),
    "db.r6g.2xlarge": (8, 64, 0.90),
    "db.r6g.4xlarge": (16, 128, 1.80),
}


def v(name: str) -> float:
    return INPUTS[name][0]


# ------------------------------------------------------------------------------------------------ model
@dataclass(frozen=True)
class Size:
    demands: int

    def records(self) -> dict[str, float]:
        return {"documents": self.demands * v("documents_per_demand"),
                "documents_metadata": self.demands * v("metadata_per_demand"),
                "documents_audit": self.demands * v("audit_per_demand")}

    @property
    def total_records(self) -> float:
        return sum(self.records().values())

    def json_gb(self) -> dict[str, float]:
        bytes_per = {"documents": v("documents_json_bytes"), "documents_metadata": v("metadata_json_bytes"),
                     "documents_audit": v("audit_json_bytes")}
        return {t: n * bytes_per[t] / 1e9 for t, n in self.records().items()}

    @property
    def table_gb(self) -> float:
        """DynamoDB table size ≈ the items' plain JSON (what a scan reads and an export is billed on)."""
        return sum(self.json_gb().values())

    @property
    def gzip_gb(self) -> float:
        return self.demands * v("gzip_bytes_per_demand") / 1e9


def vcpu(memory_mb: float) -> float:
    return memory_mb / v("lambda_mb_per_vcpu")


def one_thread_rate(base_rate: float, memory_mb: float) -> float:
    """A single-threaded Python job on a Lambda of ``memory_mb``: at most one vCPU, scaled by the core speedup."""
    return base_rate * min(1.0, vcpu(memory_mb)) * v("core_speedup")


def scan_extract_s(size: Size, memory_mb: float) -> float:
    """The scan Lambda: one consumer thread does every item's item_line + gzip + upload (CPU-bound); the
    DynamoDB side (segments x 1 MB pages) is assumed to keep up with it (not measured)."""
    return size.total_records / one_thread_rate(1e6 / v("scan_item_us"), memory_mb)


def export_convert_s(size: Size, memory_mb: float, table: str = "documents") -> float:
    """One convert Lambda per table; the largest (documents) sets the time."""
    return size.records()[table] / one_thread_rate(v("export_convert_items_per_s"), memory_mb)


def export_merge_s(size: Size, memory_mb: float, table: str = "documents") -> float:
    return size.records()[table] / one_thread_rate(v("export_merge_items_per_s"), memory_mb)


def server_copy_rate() -> float:
    """One COPY stream on an RDS vCPU (one backend, one core)."""
    return v("server_copy_rows_per_s") * v("core_speedup")


def load_rate(memory_mb: float, workers: int = 1) -> float:
    """The load's rows/s: the client's build (one process, or ``workers`` forked build processes sharing the
    Lambda's vCPUs, assumed to scale linearly) capped by the one COPY stream of the server."""
    client_vcpu = min(float(workers), vcpu(memory_mb))
    client = v("load_rows_per_s") * client_vcpu * v("core_speedup")
    return min(client, server_copy_rate())


def load_s(size: Size, memory_mb: float, workers: int = 1) -> float:
    return size.total_records / load_rate(memory_mb, workers)


def reload_server_s(size: Size) -> float:
    """The server's part of a daily reload (staging COPY, upsert, delete) on one RDS vCPU."""
    return size.total_records / server_copy_rate() * v("upsert_server_factor")


def wal_gb(size: Size) -> float:
    return size.table_gb * v("heap_bytes_per_json_byte") * v("wal_per_heap_byte")


def refresh_s(size: Size) -> float:
    return size.total_records * v("refresh_us_per_record") / 1e6 / v("core_speedup")


def lambda_usd(seconds: float, memory_mb: float) -> float:
    return seconds * memory_mb / 1024 * v("lambda_gb_s_usd")


def scan_usd(size: Size, memory_mb: float) -> float:
    rru = size.table_gb * 1e9 / 4096 * 0.5  # eventually consistent: 1/2 RRU per 4 KB read
    return rru / 1e6 * v("ddb_rru_usd_per_million") + lambda_usd(scan_extract_s(size, memory_mb), memory_mb)


def export_full_usd(size: Size, memory_mb: float) -> float:
    convert = sum(lambda_usd(export_convert_s(size, memory_mb, t), memory_mb) for t in size.records())
    polls = v("export_minutes") * 3 * len(size.records())  # Wait + poll + Choice per minute per export
    return size.table_gb * v("ddb_export_usd_per_gb") + convert + polls / 1000 * v("sfn_usd_per_1000_transitions")


def export_incremental_usd(size: Size, memory_mb: float) -> float:
    merge = sum(lambda_usd(export_merge_s(size, memory_mb, t), memory_mb) for t in size.records())
    changed_gb = size.table_gb * v("daily_change_share")
    pitr_day = size.table_gb * v("ddb_pitr_usd_per_gb_month") / 30
    polls = v("export_minutes") * 3 * len(size.records())
    return (changed_gb * v("ddb_incremental_export_usd_per_gb") + merge + pitr_day
            + polls / 1000 * v("sfn_usd_per_1000_transitions"))


def max_demands_in_timeout(seconds_for: float) -> float:
    """Demands that fit the Lambda timeout, given the seconds one demand takes."""
    return v("lambda_timeout_s") / seconds_for


# ------------------------------------------------------------------------------------------------ output
def fmt_s(seconds: float) -> str:
    flag = " ✗" if seconds > v("lambda_timeout_s") else ""
    if seconds < 60:
        return f"{seconds:.0f} s{flag}"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min{flag}"
    return f"{seconds / 3600:.1f} h{flag}"


def fmt_n(n: float) -> str:
    return f"{n / 1e6:,.2f} M" if n >= 1e6 else f"{n:,.0f}"


def usd(x: float) -> str:
    return f"${x:,.2f}" if x >= 0.01 else f"${x:.4f}"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def render() -> str:
    mem = v("lambda_memory_mb")
    big = v("lambda_max_memory_mb")
    sizes = [Size(d) for d in SIZES]
    out = ["### Sizes", table(
        ["demands", "documents", "metadata", "audit", "records", "table GB (JSON)", "snapshot GB (gzip)"],
        [[fmt_n(s.demands), *(fmt_n(n) for n in s.records().values()), fmt_n(s.total_records),
          f"{s.table_gb:,.1f}", f"{s.gzip_gb:,.2f}"] for s in sizes])]
    out += ["", f"### Extract (one run; ✗ = over the Lambda's {v('lambda_timeout_s'):.0f} s)", table(
        ["demands", f"scan, {mem:,.0f} MB", f"scan, ≥ {v('lambda_mb_per_vcpu'):,.0f} MB",
         f"export: convert documents, {mem:,.0f} MB", f"export: convert, ≥ {v('lambda_mb_per_vcpu'):,.0f} MB",
         f"incremental merge documents, {mem:,.0f} MB", "scan $ / run", "full export $ / run",
         "incremental export $ / run"],
        [[fmt_n(s.demands), fmt_s(scan_extract_s(s, mem)), fmt_s(scan_extract_s(s, big)),
          fmt_s(export_convert_s(s, mem)), fmt_s(export_convert_s(s, big)), fmt_s(export_merge_s(s, mem)),
          usd(scan_usd(s, mem)), usd(export_full_usd(s, mem)), usd(export_incremental_usd(s, mem))]
         for s in sizes])]
    out += ["", "### Load (first load, one manifest, one transaction)", table(
        ["demands", f"1 process, {mem:,.0f} MB", "1 process, 1,769 MB", f"6 workers, {big:,.0f} MB",
         "server COPY (1 stream)", "daily reload, server part", "refresh (measured rate)", "WAL GB",
         f"load $ / run, {mem:,.0f} MB"],
        [[fmt_n(s.demands), fmt_s(load_s(s, mem)), fmt_s(load_s(s, 1769)), fmt_s(load_s(s, big, workers=6)),
          fmt_s(s.total_records / server_copy_rate()), fmt_s(reload_server_s(s)), fmt_s(refresh_s(s)),
          f"{wal_gb(s):,.1f}", usd(lambda_usd(load_s(s, mem), mem))] for s in sizes])]
    per_demand_records = Size(1).total_records
    limits = [
        ["scan extract, 1,024 MB", max_demands_in_timeout(scan_extract_s(Size(1), mem))],
        ["scan extract, ≥ 1,769 MB (one consumer thread)", max_demands_in_timeout(scan_extract_s(Size(1), big))],
        ["export convert (documents), 1,024 MB", max_demands_in_timeout(export_convert_s(Size(1), mem))],
        ["export convert (documents), ≥ 1,769 MB", max_demands_in_timeout(export_convert_s(Size(1), big))],
        ["incremental merge (documents), 1,024 MB", max_demands_in_timeout(export_merge_s(Size(1), mem))],
        ["load, 1 process, 1,024 MB", max_demands_in_timeout(load_s(Size(1), mem))],
        ["load, 1 process, ≥ 1,769 MB", max_demands_in_timeout(load_s(Size(1), 1769))],
        ["load, 6 workers, 10,240 MB (capped by one COPY stream)", max_demands_in_timeout(load_s(Size(1), big, 6))],
    ]
    out += ["", f"### Where the {v('lambda_timeout_s') / 60:.0f}-minute Lambda breaks (demands per invocation)",
            table(["job", "max demands", "max records"],
                  [[job, fmt_n(d), fmt_n(d * per_demand_records)] for job, d in limits])]
    out += ["", "### RDS classes (the COPY is one backend = one vCPU whatever the class)", table(
        ["class", "vCPU", "GiB", "$/h single-AZ", "$/month Multi-AZ"],
        [[name, str(c), str(g), f"${p:.3f}", f"${p * 2 * 730:,.0f}"] for name, (c, g, p) in RDS_CLASSES.items()])]
    out += ["", "### Monthly (30 daily runs, us-east-1; RDS and S3 storage excluded)", table(
        ["demands", "scan extract + load", "incremental export + load (+ PITR)", "full export every day + load"],
        [[fmt_n(s.demands), usd(30 * (scan_usd(s, mem) + lambda_usd(load_s(s, mem), mem))),
          usd(30 * (export_incremental_usd(s, mem) + lambda_usd(load_s(s, mem), mem))),
          usd(30 * (export_full_usd(s, mem) + lambda_usd(load_s(s, mem), mem)))] for s in sizes])]
    return "\n".join(out)


def render_inputs() -> str:
    return table(["input", "value", "unit", "source"],
                 [[k, f"{val:,}", unit, src] for k, (val, unit, src) in INPUTS.items()])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", action="store_true", help="print the inputs table instead")
    args = parser.parse_args(argv)
    print(render_inputs() if args.inputs else render())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
