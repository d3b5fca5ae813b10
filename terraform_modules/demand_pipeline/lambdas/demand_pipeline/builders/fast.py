"""The fast path of the demand builders (:mod:`itc_common_utilities.loader.fastrow`): msgspec ``Struct``
types for the plain-JSON form of each Exchange table, with the builders' types and limits, and one
``fast(line)`` per table giving the same COPY row as ``build`` + ``encode_copy_row``.

Accepted here: plain JSON, where a nested object (or list) may also arrive as JSON text, and records
in DynamoDB's typed form (:mod:`.fast_typed`; the types and helpers both forms share are in
:mod:`.fast_types`). Everything else makes the struct decoder or a check below give up
(:class:`Fallback`), and the table's builder reads the line (:mod:`.values` holds the rules; this
module only restates the common case):

- a DynamoDB-typed value (``{"S": ...}``) where text, a number, a list or a flag is expected fails
  the typed decode; where an object is expected it decodes as an object with none of our fields, so an
  object with none of them set is handed to the builder (a genuinely empty one costs only the detour);
- integers outside 64 bits (orjson reads them as floats), text over its limit, a NUL (``\\u0000``),
  a time the window refuses, an empty key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import msgspec
import orjson
from msgspec import Struct

from demand_pipeline.builders import fast_typed as typed
from demand_pipeline.builders.fast_types import Code, Ident, Int32, Text, Time, full_name, milestones
from itc_common_utilities.loader.fastrow import Fallback, compiled_or, fast_function, nested
from itc_common_utilities.timestamps import EPOCH, TimeWindow, source_time


class Person(Struct, gc=False):
    firstName: Text | None = None
    lastName: Text | None = None


class Firm(Struct, gc=False):
    firmName: Text | None = None
    primaryContact: Person | str | None = None
    attorney: Person | str | None = None
    caseManagers: list[Person | str | None] | str | None = None


class Claim(Struct, gc=False):
    claimCoverage: Text | None = None
    claimNumber: Code | None = None
    lossState: Code | None = None
    claimant: Person | str | None = None


class Carrier(Struct, gc=False):
    carrierCommonName: Text | None = None


class CaseMeta(Struct, gc=False):
    relatedInsuranceId: Ident | None = None
    clientId: Ident | None = None
    matterId: Ident | None = None
    matterTechId: Ident | None = None
    matterName: Text | None = None


class Document(Struct, gc=False):
    documentId: Ident
    version: Int32
    customerId: Ident | None = None
    createdTs: Time | None = None
    sendingFirm: Firm | str | None = None
    claimInfo: Claim | str | None = None
    recipientCarrier: Carrier | str | None = None
    caseManagementMetadata: CaseMeta | str | None = None


class Status(Struct, gc=False):
    documentStatus: Code | None = None
    timestamp: Time | None = None


class Metadata(Struct, gc=False):
    documentId: Ident
    documentType: Code | None = None
    createdTs: Time | None = None
    demandIsDeliverable: bool | str | None = None
    demandTemplateId: Ident | None = None
    documentStatusHistory: list[Status | str | None] | str | None = None


class Payload(Struct, gc=False):
    archiveReason: Text | None = None
    archiveComments: Text | None = None


class Audit(Struct, gc=False):
    auditRecordId: Ident
    documentId: Ident
    createdTs: Time | None = None
    actionType: Code | None = None
    payload: Payload | str | None = None


def _decoder(kind: Any) -> Callable[[Any], Any]:
    return msgspec.json.Decoder(kind).decode


_DECODERS = {kind: _decoder(kind) for kind in (Firm, Claim, Carrier, CaseMeta, Payload)}
_person = _decoder(Person)
_people = _decoder(list[Person | str | None])
_statuses = _decoder(list[Status | str | None])
_EMPTY_FIRM, _EMPTY_CLAIM, _EMPTY_CARRIER = Firm(), Claim(), Carrier()
_EMPTY_META, _EMPTY_PAYLOAD = CaseMeta(), Payload()


def _object(value: Any, kind: type, empty: Any) -> Any:
    """A nested object: the struct, or ``empty`` when absent; JSON text decoded; a struct with none of
    its fields set may be a DynamoDB ``{"M": ...}`` wrapper: the builder decides (Fallback)."""
    if type(value) is str:
        value = nested(value, _DECODERS[kind])
    if value is None:
        return empty
    if value == empty:
        raise Fallback
    return value


def _ident(value: Any) -> str | None:
    if type(value) is str:
        return value or None
    return None if value is None else str(value)


def _key(value: Any) -> str:
    if type(value) is str:
        if value:
            return value
        raise Fallback  # an empty key: the builder rejects it (missing_key)
    return str(value)


def _name(person: Any) -> str | None:
    if person is None:
        return None
    if type(person) is str:
        person = nested(person, _person)
        if person is None:
            return None
    first, last = person.firstName, person.lastName
    if first is None and last is None:
        raise Fallback  # absent both, or a DynamoDB wrapper
    return full_name(first, last)


_CLOCK = tuple(f"{m:02d}:{sec:02d}+00:00" for m in range(60) for sec in range(60))  # "MM:SS+00:00" of an hour


def time_reader(window: TimeWindow) -> Callable[[Any, str], str | None]:
    """``iso(value, field)``: the ISO text ``build`` writes for a source time (``datetime.isoformat`` of
    :func:`~itc_common_utilities.timestamps.source_time`). Epoch seconds inside the window, the common
    form, are written from a per-hour prefix (cached) and a table of minutes and seconds: the same text.
    """
    lo, hi = window.lo_s, window.hi_s
    hours: dict[int, str] = {}

    def iso(value: Any, field: str) -> str | None:
        if type(value) is int and lo <= value <= hi:
            hour, second = divmod(value, 3600)
            prefix = hours.get(hour)
            if prefix is None:
                if len(hours) > 100_000:  # bounded: about eleven years of hours
                    hours.clear()
                prefix = hours[hour] = (EPOCH + timedelta(seconds=hour * 3600)).isoformat()[:14]
            return prefix + _CLOCK[second]
        moment = source_time(value, field, window)  # the builder's own reader; a refusal → the builder
        return None if moment is None else moment.isoformat()

    return iso


def _flag(value: Any) -> str | None:
    if value is None:
        return None
    if value is True or value is False:
        return "t" if value else "f"
    word = value.strip().lower()
    if word == "true":
        return "t"
    if word == "false":
        return "f"
    raise Fallback


COMPILED_CASES = "demand_rows"  # the compiled row builders of the demand tables (demand_rows.pyx, ADR 0012)


def case_fast(window: TimeWindow) -> Callable[[bytes], str | None]:
    """documents → ``raw.cases`` (the columns of :func:`~.case_builder.build_case`): the compiled row builder
    (``demand_rows.CaseRows``) in front of :func:`case_fast_python` when it is built for this interpreter."""
    return compiled_or(COMPILED_CASES, "CaseRows", case_fast_python(window), window.lo_s, window.hi_s,
                       window.lo_ms, window.hi_ms)


def case_fast_python(window: TimeWindow) -> Callable[[bytes], str | None]:
    """documents → ``raw.cases`` in Python (msgspec structs): the compiled builder's fallback and reference."""
    iso = time_reader(window)

    def row(d: Document) -> tuple[str | None, ...]:
        # _object() only off the common case (a decoded struct with its usual field set): this runs per record
        firm, claim, carrier, meta = d.sendingFirm, d.claimInfo, d.recipientCarrier, d.caseManagementMetadata
        if type(firm) is not Firm or firm.firmName is None:
            firm = _object(firm, Firm, _EMPTY_FIRM)
        if type(claim) is not Claim or claim.claimNumber is None:
            claim = _object(claim, Claim, _EMPTY_CLAIM)
        if type(carrier) is not Carrier or carrier.carrierCommonName is None:
            carrier = _object(carrier, Carrier, _EMPTY_CARRIER)
        if type(meta) is not CaseMeta or meta.matterId is None:
            meta = _object(meta, CaseMeta, _EMPTY_META)
        managers = firm.caseManagers
        if managers:
            if type(managers) is str:
                managers = nested(managers, _people) or ()
            if len(managers) == 1:
                managers = _name(managers[0])
            else:
                names = [name for name in map(_name, managers) if name is not None]
                managers = ", ".join(dict.fromkeys(names)) or None  # first of each, in order
        else:
            managers = None
        customer, related, client, matter, tech = (d.customerId, meta.relatedInsuranceId, meta.clientId,
                                                   meta.matterId, meta.matterTechId)
        return (_key(d.documentId), str(d.version),
                customer if type(customer) is str and customer else _ident(customer),
                iso(d.createdTs, "createdTs"), firm.firmName, _name(firm.primaryContact), _name(firm.attorney),
                managers, claim.claimCoverage, claim.claimNumber, claim.lossState, _name(claim.claimant),
                carrier.carrierCommonName, related if type(related) is str and related else _ident(related),
                client if type(client) is str and client else _ident(client),
                matter if type(matter) is str and matter else _ident(matter),
                tech if type(tech) is str and tech else _ident(tech), meta.matterName)

    return fast_function((_decoder(Document), row), (_decoder(typed.Document), typed.case_row(iso)))


def metadata_fast(window: TimeWindow) -> Callable[[bytes], str | None]:
    """documents-metadata → ``raw.metadata`` (the columns of :func:`~.metadata_builder.build_metadata`): the
    compiled row builder (``demand_rows.MetadataRows``) in front of :func:`metadata_fast_python` when built."""
    return compiled_or(COMPILED_CASES, "MetadataRows", metadata_fast_python(window), window.lo_s, window.hi_s,
                       window.lo_ms, window.hi_ms)


def metadata_fast_python(window: TimeWindow) -> Callable[[bytes], str | None]:
    """documents-metadata → ``raw.metadata`` in Python: the compiled builder's fallback and reference."""
    iso = time_reader(window)
    field = "documentStatusHistory.timestamp"

    def row(m: Metadata) -> tuple[str | None, ...]:
        entries = m.documentStatusHistory
        if type(entries) is str:
            entries = nested(entries, _statuses) or []
        history_text = received = archived = None
        if entries:
            history = []
            for entry in entries:
                if entry is None:
                    continue
                if type(entry) is str:
                    raise Fallback
                status, when = entry.documentStatus, entry.timestamp
                if status is None and when is None:
                    raise Fallback  # absent both, or a DynamoDB wrapper
                history.append({"documentStatus": status, "timestamp": iso(when, field)})
            received, archived = milestones(history)
            history_text = orjson.dumps(history).decode()
        return (_key(m.documentId), m.documentType, iso(m.createdTs, "createdTs"), _flag(m.demandIsDeliverable),
                _ident(m.demandTemplateId), received, archived, history_text)

    return fast_function((_decoder(Metadata), row), (_decoder(typed.Metadata), typed.metadata_row(iso)),
                         writes_json=True)


def audit_fast(window: TimeWindow) -> Callable[[bytes], str | None]:
    """documents-audit → ``raw.audit`` (the columns of :func:`~.audit_builder.build_audit`): the compiled
    row builder (``demand_rows.AuditRows``) in front of :func:`audit_fast_python` when built."""
    return compiled_or(COMPILED_CASES, "AuditRows", audit_fast_python(window), window.lo_s, window.hi_s,
                       window.lo_ms, window.hi_ms)


def audit_fast_python(window: TimeWindow) -> Callable[[bytes], str | None]:
    """documents-audit → ``raw.audit`` in Python: the compiled builder's fallback and reference."""
    iso = time_reader(window)

    def row(a: Audit) -> tuple[str | None, ...]:
        payload = _object(a.payload, Payload, _EMPTY_PAYLOAD)
        return (_key(a.auditRecordId), _key(a.documentId), iso(a.createdTs, "createdTs"), a.actionType,
                payload.archiveReason, payload.archiveComments)

    return fast_function((_decoder(Audit), row), (_decoder(typed.Audit), typed.audit_row(iso)))
