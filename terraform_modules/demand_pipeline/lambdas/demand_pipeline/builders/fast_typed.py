"""The fast path for records in DynamoDB's typed form (``{"documentId": {"S": "doc-1"}, "version": {"N": "2"}}``):
``Struct`` types for the wrappers, and the row of each table from them (:mod:`.fast` has the plain form,
:mod:`.fast_types` the types both share).

Only whole-record typing with the wrappers the builders expect is taken here: text as ``S``, numbers
as ``N`` (identifiers and times also as ``S``), flags as ``BOOL``, objects as ``M``, lists as ``L``.
Any other wrapper (``NULL``, ``SS``, a plain value inside a typed record, a wrapper with two types) makes
the decode or a check give up, and the builder reads the record (:mod:`.values` holds the rules).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from msgspec import Struct

from demand_pipeline.builders.fast_types import INT32_BOUNDS, Code, Text, full_name, milestones
from demand_pipeline.builders.values import _number
from itc_common_utilities.loader.fastrow import Fallback


class S(Struct, forbid_unknown_fields=True, gc=False):
    S: Text


class C(Struct, forbid_unknown_fields=True, gc=False):
    S: Code


class SN(Struct, forbid_unknown_fields=True, gc=False):  # an identifier or a time: text or a number
    S: Code | None = None
    N: str | None = None


class B(Struct, forbid_unknown_fields=True, gc=False):
    BOOL: bool


class Person(Struct, gc=False):
    firstName: S | None = None
    lastName: S | None = None


class MPerson(Struct, forbid_unknown_fields=True, gc=False):
    M: Person


class Firm(Struct, gc=False):
    firmName: S | None = None
    primaryContact: MPerson | None = None
    attorney: MPerson | None = None
    caseManagers: LPeople | None = None


class LPeople(Struct, forbid_unknown_fields=True, gc=False):
    L: list[MPerson]


class MFirm(Struct, forbid_unknown_fields=True, gc=False):
    M: Firm


class Claim(Struct, gc=False):
    claimCoverage: S | None = None
    claimNumber: C | None = None
    lossState: C | None = None
    claimant: MPerson | None = None


class MClaim(Struct, forbid_unknown_fields=True, gc=False):
    M: Claim


class Carrier(Struct, gc=False):
    carrierCommonName: S | None = None


class MCarrier(Struct, forbid_unknown_fields=True, gc=False):
    M: Carrier


class CaseMeta(Struct, gc=False):
    relatedInsuranceId: SN | None = None
    clientId: SN | None = None
    matterId: SN | None = None
    matterTechId: SN | None = None
    matterName: S | None = None


class MCaseMeta(Struct, forbid_unknown_fields=True, gc=False):
    M: CaseMeta


class Document(Struct, gc=False):
    documentId: SN
    version: SN
    customerId: SN | None = None
    createdTs: SN | None = None
    sendingFirm: MFirm | None = None
    claimInfo: MClaim | None = None
    recipientCarrier: MCarrier | None = None
    caseManagementMetadata: MCaseMeta | None = None


class Status(Struct, gc=False):
    documentStatus: C | None = None
    timestamp: SN | None = None


class MStatus(Struct, forbid_unknown_fields=True, gc=False):
    M: Status


class LStatus(Struct, forbid_unknown_fields=True, gc=False):
    L: list[MStatus]


class Metadata(Struct, gc=False):
    documentId: SN
    documentType: C | None = None
    createdTs: SN | None = None
    demandIsDeliverable: B | None = None
    demandTemplateId: SN | None = None
    documentStatusHistory: LStatus | None = None


class Payload(Struct, gc=False):
    archiveReason: S | None = None
    archiveComments: S | None = None


class MPayload(Struct, forbid_unknown_fields=True, gc=False):
    M: Payload


class Audit(Struct, gc=False):
    auditRecordId: SN
    documentId: SN
    createdTs: SN | None = None
    actionType: C | None = None
    payload: MPayload | None = None


_FIRM, _CLAIM, _CARRIER, _META, _PAYLOAD = Firm(), Claim(), Carrier(), CaseMeta(), Payload()


def _s(value: S | C | None) -> str | None:
    return None if value is None else value.S


def _scalar(value: SN | None) -> Any:
    """What the builder's ``plain`` makes of ``{"S": ...}`` / ``{"N": ...}``."""
    if value is None:
        return None
    text, number = value.S, value.N
    if number is None:
        if text is None:
            raise Fallback  # {}: not a wrapper
        return text
    if text is not None:
        raise Fallback  # two types: not a wrapper
    try:
        return _number(number)
    except ValueError:
        raise Fallback from None


def _ident(value: SN | None) -> str | None:
    plain = _scalar(value)
    if type(plain) is str:
        return plain or None
    if plain is None:
        return None
    if type(plain) is not int:
        raise Fallback  # a fractional number: bad_type
    return str(plain)


def _key(value: SN) -> str:
    key = _ident(value)
    if key is None:
        raise Fallback  # missing_key
    return key


def _name(person: MPerson | None) -> str | None:
    if person is None:
        return None
    p = person.M
    return full_name(_s(p.firstName), _s(p.lastName))


def case_row(iso: Callable[[Any, str], str | None]) -> Callable[[Document], tuple[str | None, ...]]:
    def row(d: Document) -> tuple[str | None, ...]:
        firm = d.sendingFirm.M if d.sendingFirm is not None else _FIRM
        claim = d.claimInfo.M if d.claimInfo is not None else _CLAIM
        carrier = d.recipientCarrier.M if d.recipientCarrier is not None else _CARRIER
        meta = d.caseManagementMetadata.M if d.caseManagementMetadata is not None else _META
        version = _scalar(d.version)
        if type(version) is not int or not INT32_BOUNDS[0] <= version <= INT32_BOUNDS[1]:
            raise Fallback
        managers = None
        if firm.caseManagers is not None:
            seen = {name: None for name in map(_name, firm.caseManagers.L) if name is not None}
            managers = ", ".join(seen) or None
        return (_key(d.documentId), str(version), _ident(d.customerId), iso(_scalar(d.createdTs), "createdTs"),
                _s(firm.firmName), _name(firm.primaryContact), _name(firm.attorney), managers,
                _s(claim.claimCoverage), _s(claim.claimNumber), _s(claim.lossState), _name(claim.claimant),
                _s(carrier.carrierCommonName), _ident(meta.relatedInsuranceId), _ident(meta.clientId),
                _ident(meta.matterId), _ident(meta.matterTechId), _s(meta.matterName))

    return row


def metadata_row(iso: Callable[[Any, str], str | None]) -> Callable[[Metadata], tuple[str | None, ...]]:
    field = "documentStatusHistory.timestamp"

    def row(m: Metadata) -> tuple[str | None, ...]:
        history_text = received = archived = None
        if m.documentStatusHistory is not None and m.documentStatusHistory.L:
            history = [{"documentStatus": _s(entry.M.documentStatus),
                        "timestamp": iso(_scalar(entry.M.timestamp), field)} for entry in m.documentStatusHistory.L]
            received, archived = milestones(history)
            history_text = orjson.dumps(history).decode()
        flag = m.demandIsDeliverable
        return (_key(m.documentId), _s(m.documentType), iso(_scalar(m.createdTs), "createdTs"),
                None if flag is None else ("t" if flag.BOOL else "f"), _ident(m.demandTemplateId), received,
                archived, history_text)

    return row


def audit_row(iso: Callable[[Any, str], str | None]) -> Callable[[Audit], tuple[str | None, ...]]:
    def row(a: Audit) -> tuple[str | None, ...]:
        payload = a.payload.M if a.payload is not None else _PAYLOAD
        return (_key(a.auditRecordId), _key(a.documentId), iso(_scalar(a.createdTs), "createdTs"),
                _s(a.actionType), _s(payload.archiveReason), _s(payload.archiveComments))

    return row
