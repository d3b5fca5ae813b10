"""orchestrator.quality_units: the field quarantine's share per field and the units at risk, as warnings."""

from __future__ import annotations

from orchestrator.quality import run_quality_checks
from orchestrator.tests.test_quality import _counts, _detail, _record_load
from tests.warehouse.kit import add_demand, add_demo_prices, ny, refresh_all

_NOTE = ("INSERT INTO ops.quarantined_fields (load_id, source, table_name, source_key, line_number, record_key, "
         "reason_code, field_name, detail, unit_at_risk) VALUES (%s, 'demand', %s, 'k', %s, %s, %s, %s, 'd', %s)")
_REJECT = ("INSERT INTO ops.rejected_records (load_id, source, table_name, source_key, line_number, record_key, "
           "reason_code, field_name, detail) VALUES (%s, 'demand', 'documents_metadata', 'k', %s, %s, "
           "'bad_timestamp', 'createdTs', 'createdTs: not a time')")


def test_field_nulled_in_2_percent_of_records_warns_naming_it(db) -> None:
    """GIVEN a demand load of 100 metadata records, 2 of which lost their documentType (2 %) and 1 an archive
    entry (1 %), 1 of 200 document versions its createdTs (0.5 %), and one metadata record rejected
    WHEN the quality checks run THEN they warn that documentType is nulled in more than 1 % (and
    nothing else) and that 2 billable units are at risk."""
    with db.cursor() as cur:
        add_demo_prices(cur)
        add_demand(cur, "D1", uploaded_at=ny(2025, 3, 2))
        load = _record_load(cur, "demand", {"documents": _counts(200), "documents_metadata": _counts(100, rejected=1),
                                            "templates": _counts(0), "documents_audit": _counts(0)})
        for line in (3, 9):
            cur.execute(_NOTE, (load, "documents_metadata", line, f"doc-{line}", "bad_type", "documentType", None))
        cur.execute(_NOTE, (load, "documents", 7, "doc-7/1", "bad_timestamp", "createdTs", None))
        cur.execute(_NOTE, (load, "documents_metadata", 11, "D1", "bad_timestamp", "documentStatusHistory.timestamp",
                            "demand_archived"))
        cur.execute(_REJECT, (load, 12, "doc-12"))
    db.commit()
    refresh_all(db)

    summary = run_quality_checks(db, sources=("demand",), raise_on_failure=False)  # raw holds 1 demand only

    warned = sorted(w for w in summary["warnings"] if not w.startswith("row_count"))
    assert warned == ["quarantined_share:demand.documents_metadata.documentType",
                      "units_at_risk:analytics.units_at_risk"]
    assert _detail(db, "quarantined_share", "demand.documents_metadata.documentType") == [(
        "warning", False, "documentType of demand documents_metadata: 2 of 100 record(s) (2.0%) had a value the "
        "load could not read and stored as NULL (more than 1%: has the source changed the field's format? see "
        "ops.quarantined_fields)")]
    assert _detail(db, "units_at_risk", "analytics.units_at_risk") == [(
        "warning", False, "2 billable unit(s) could not be billed by the latest loads (1 demand/demand_archived, "
        "1 demand/demand_uploaded): see analytics.units_at_risk; a month closes over them only with "
        "`itc invoice --close --accept-risk \"<reason>\"`")]
