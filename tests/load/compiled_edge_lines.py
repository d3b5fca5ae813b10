"""Hand-written lines aimed at the compiled readers (demand_rows.pyx) of the documents, metadata and audit
tables: escapes, numbers, whitespace, wrappers, typed forms, status histories. Each must give the Python fast
path's row or step aside (tests/load/test_load_fast_path.py)."""

from __future__ import annotations

# Lines aimed at the compiled builder's own reading (escapes, numbers, whitespace, wrappers): each must give
# the Python fast path's row or step aside
COMPILED_EDGES: list[bytes] = [
    b' {"documentId" : "e1" , "version" : 0 , "createdTs" : null , "sendingFirm" : null }\r',
    b'{"documentId":-0,"version":-2147483648,"customerId":-12}',
    b'{"documentId":"e3","version":1,"sendingFirm":{"firmName":"a\\\\b\\/c\\u0041\\t\\r\\n\\b\\f"}}',
    b'{"documentId":"e4","version":1,"sendingFirm":{"primaryContact":{"firstName":"\\t Al \\u000b",'
    b'"lastName":"\\u001f"}}}',
    b'{"documentId":"e5","version":1,"sendingFirm":{"caseManagers":[]}}',
    b'{"documentId":"e6","version":1,"sendingFirm":{"caseManagers":[{"firstName":"A"},{"lastName":"A"},null]}}',
    b'{"documentId":"e7","version":1,"sendingFirm":{"caseManagers":""}}',
    b'{"documentId":"e8","version":1,"sendingFirm":"{\\"firmName\\": \\"T\\\\\\\\x\\\\\\"y\\"}"}',
    b'{"documentId":"e9","version":1,"claimInfo":"\\t"}',
    b'{"documentId":"e10","version":1,"createdTs":1788000000999}',
    b'{"documentId":"e11","version":1,"createdTs":1788000000000}',
    b'{"documentId":"e12","version":01}',
    b'{"documentId":"e13","version":1,"extra":[1,{"a":[true,false,null]},"\\u00e9"]}',
    b'{"documentId":"e14","version":1}  x',
    b'{"documentId":{"S":"e15"},"version":{"N":"+7"},"customerId":{"N":"-0"},"createdTs":{"N":"1788000000"}}',
    b'{"documentId":{"S":"e16"},"version":{"N":"1"},"sendingFirm":{"M":{}},"claimInfo":null}',
    b'{"documentId":{"S":"e17"},"version":{"N":"1"},"sendingFirm":{"M":{"caseManagers":{"L":[]}}}}',
    b'{"documentId":{"S":"e18"},"version":{"N":"1"},"sendingFirm":{"M":{"firmName":{"S":null}}}}',
    b'{"documentId":{"S":"e19"},"version":{"N":"1"},"claimInfo":{"M":{"claimant":{"M":{}}}}}',
    b'{"documentId":{"S":"e20","X":1},"version":{"N":"1"}}',
    b'{"documentId":{"S":"e21"},"version":{"N":"1"},"sendingFirm":{"M":{"attorney":{"M":{"firstName":{"S":"B"}},'
    b'"L":[]}}}}',
    b'{"documentId":"e22","version":1,"sendingFirm":{"firmName":"caf\\u00e9"}}',
    b'{"documentId":"\xc3\xa9","version":1}',
    b'{"documentId":"e24","version":1,"sendingFirm":{"firmName":"' + b"y" * 100_000 + b'"}}',
    b'{"documentId":"' + b"k" * 1024 + b'","version":1}',
    b'{"documentId":"e26","version":1,"sendingFirm":{"firmName":"' + b"y" * 100_001 + b'"}}',
    b'{"documentId":"' + b"k" * 1025 + b'","version":1}',
    b'{"documentId":"e28","version":1,"caseManagementMetadata":{"clientId":123456789012345678}}',
    b'{"documentId":"e29","version":1,"caseManagementMetadata":{"clientId":1234567890123456789}}',
]


R = b'{"documentStatus":"DocumentReceived","timestamp":1788000000}'
# Lines aimed at the compiled metadata and audit builders: each must give the Python fast path's row or step aside
METADATA_EDGES: list[bytes] = [
    b'{"documentId":"me1","documentType":"Demand","createdTs":1788000000,"demandIsDeliverable":true,'
    b'"demandTemplateId":"t1","documentStatusHistory":[' + R + b']}',
    b'{"documentId":"me2","demandIsDeliverable":"\\tFalse \\n","demandTemplateId":12,"documentStatusHistory":[]}',
    b'{"documentId":"me3","demandIsDeliverable":"yes"}',
    b'{"documentId":"me4","demandIsDeliverable":1}',
    b'{"documentId":"me5","documentStatusHistory":[null]}',
    b'{"documentId":"me6","documentStatusHistory":[null,{}]}',
    b'{"documentId":"me7","documentStatusHistory":"  "}',
    b'{"documentId":"me8","documentStatusHistory":"[]"}',
    b'{"documentId":"me9","documentStatusHistory":" [ {\\"documentStatus\\": \\"DocumentArchived\\", '
    b'\\"timestamp\\": 1788000000123} ] "}',
    b'{"documentId":"me10","documentStatusHistory":[{"documentStatus":"DocumentArchived"}]}',
    b'{"documentId":"me11","documentStatusHistory":[{"timestamp":1788000000},{"documentStatus":null,'
    b'"timestamp":1788000000999}]}',
    b'{"documentId":"me12","documentStatusHistory":[{"documentStatus":"A\\\\B\\"C\\/D","timestamp":1788000000}]}',
    b'{"documentId":"me13","documentStatusHistory":[{"documentStatus":"Tab\\there","timestamp":1788000000}]}',
    b'{"documentId":"me14","documentStatusHistory":[{"documentStatus":"caf\\u00e9","timestamp":1788000000}]}',
    b'{"documentId":"me15","documentStatusHistory":[{"documentStatus":"caf\xc3\xa9","timestamp":1788000000}]}',
    b'{"documentId":"me16","documentStatusHistory":[{"documentStatus":"A\\u0000","timestamp":1788000000}]}',
    b'{"documentId":"me17","documentStatusHistory":[{"documentStatus":"DocumentReceived","timestamp":1}]}',
    b'{"documentId":"me18","documentStatusHistory":[{"documentStatus":"DocumentReceived","timestamp":1788000000.5}]}',
    b'{"documentId":"me19","documentStatusHistory":[{"documentStatus":"DocumentReceived",'
    b'"timestamp":"2026-09-01T00:00:00Z"}]}',
    b'{"documentId":"me19b","createdTs":"2026-09-01T00:00:00.123456+05:30","documentStatusHistory":['
    b'{"documentStatus":"DocumentReceived","timestamp":"2026-09-01T00:00:00-04:00"},{"documentStatus":'
    b'"DocumentReceived","timestamp":"2026-09-01T04:00:00.000Z"},{"documentStatus":"DocumentArchived","timestamp":'
    b'"2026-08-31T23:59:59.999999-23:59"},{"documentStatus":"DocumentArchived","timestamp":""}]}',
    b'{"documentId":"me19l","createdTs":"2026-09-01T00:00:00.5Z"}',
    b'{"documentId":"me19c","createdTs":"2026-09-01 00:00:00Z"}',
    b'{"documentId":"me19d","createdTs":"2026-09-01T00:00:00"}',
    b'{"documentId":"me19e","createdTs":"2026-09-01T24:00:00Z"}',
    b'{"documentId":"me19f","createdTs":" 2026-09-01T00:00:00Z"}',
    b'{"documentId":"me19g","createdTs":"2028-02-29T23:59:59.999999-23:59"}',
    b'{"documentId":"me19h","createdTs":"2026-13-01T00:00:00Z"}',
    b'{"documentId":"me19i","createdTs":"2026-09-01T00:00:00+0400"}',
    b'{"documentId":"me19j","createdTs":"1788000000"}',
    b'{"documentId":{"S":"me19k"},"createdTs":{"S":"2026-09-01T00:00:00Z"},"documentStatusHistory":{"L":[{"M":'
    b'{"documentStatus":{"S":"DocumentArchived"},"timestamp":{"S":"2026-09-01T00:00:00.250+01:00"}}}]}}',
    b'{"documentId":"me20","documentStatusHistory":[{"documentStatus":"DocumentReceived","timestamp":1788000000,'
    b'"documentStatus":"DocumentArchived"}]}',
    b'{"documentId":"me21","documentStatusHistory":["DocumentReceived"]}',
    b'{"documentId":"me22","documentStatusHistory":[{"documentStatus":"DocumentReceived","timestamp":1788000000,'
    b'"note":{"a":[1,2]}},{"documentStatus":"DocumentArchived","timestamp":1788000000000},'
    b'{"documentStatus":"DocumentArchived","timestamp":1787999999}]}',
    b'{"documentId":"me23","documentStatusHistory":[{"documentStatus":"' + b"s" * 1024 + b'","timestamp":1788000000}]}',
    b'{"documentId":"me24","documentStatusHistory":[{"documentStatus":"' + b"s" * 1025 + b'","timestamp":1788000000}]}',
    b'{"documentId":"me25","demandTemplateId":9223372036854775807}',
    b'{"documentId":"me26","demandTemplateId":18446744073709551616}',
    b'{"documentId":"me27","documentId":"me27b"}',
    b'{"documentType":"Demand"}',
    b'{"documentId":"","documentType":"Demand"}',
    b'{"documentId":"me30","createdTs":-1}',
    b'{"documentId":"me31","createdTs":1788000000.25,"documentType":null,"demandTemplateId":""}',
    b'{"documentId":"me32","documentStatusHistory":{"documentStatus":"DocumentReceived"}}',
    b'{"documentId":"me33","documentStatusHistory":[' + b",".join([R] * 300) + b']}',
    b'{"documentId":{"S":"me34"},"documentType":{"S":"Demand"},"createdTs":{"N":"1788000000"},'
    b'"demandIsDeliverable":{"BOOL":false},"demandTemplateId":{"N":"42"},"documentStatusHistory":{"L":[{"M":'
    b'{"documentStatus":{"S":"DocumentReceived"},"timestamp":{"N":"1788000000500"}}},{"M":{}}]}}',
    b'{"documentId":{"S":"me35"},"documentStatusHistory":{"L":[null]}}',
    b'{"documentId":{"S":"me36"},"documentStatusHistory":{"L":[{"M":{"timestamp":{"S":"2026-09-01T00:00:00Z"}}}]}}',
    b'{"documentId":{"S":"me37"},"documentStatusHistory":{"L":[{"M":{"timestamp":{"N":"1.5"}}}]}}',
    b'{"documentId":{"S":"me38"},"demandIsDeliverable":{"BOOL":"true"}}',
    b'{"documentId":{"S":"me39"},"documentStatusHistory":{"L":[]},"demandTemplateId":{"S":""}}',
    b'{"documentId":{"S":"me40"},"documentStatusHistory":{"L":[{"M":{"documentStatus":{"NULL":true}}}]}}',
    b'{"documentId":{"S":"me41"},"documentType":{"S":"x","N":"1"}}',
    b'{"documentId":{"S":"me42"},"documentStatusHistory":{"L":[{"M":{"documentStatus":{"S":null}}}]}}',
    b'{"documentId":{"S":"me43"},"documentStatusHistory":{"L":[{"M":{"documentStatus":{},"timestamp":null}}]}}',
    b'{"documentId":{"N":"99999999999999999999"}}',
]
AUDIT_EDGES: list[bytes] = [
    b'{"auditRecordId":"ae1","documentId":"d","createdTs":1788000000,"actionType":"DemandArchived",'
    b'"payload":{"archiveReason":"r","archiveComments":null}}',
    b'{"auditRecordId":"ae2","documentId":"d","payload":null}',
    b'{"auditRecordId":"ae3","documentId":"d","payload":"  "}',
    b'{"auditRecordId":"ae4","documentId":"d","payload":"{\\"archiveComments\\": \\"a\\\\\\\\b\\"}"}',
    b'{"auditRecordId":"ae5","documentId":"d","payload":"[1]"}',
    b'{"auditRecordId":"ae6","documentId":"d","payload":{"archiveReason":"caf\\u00e9"}}',
    b'{"auditRecordId":"ae7","documentId":"d","payload":{"archiveReason":"a\\u0000"}}',
    b'{"auditRecordId":"ae8","documentId":"d","createdTs":1788000000777}',
    b'{"auditRecordId":"ae9","documentId":"d","createdTs":99}',
    b'{"auditRecordId":"ae10","documentId":"d","createdTs":1.5}',
    b'{"auditRecordId":"ae11"}',
    b'{"auditRecordId":"ae12","documentId":""}',
    b'{"auditRecordId":"ae13","documentId":-9,"actionType":"' + b"x" * 1025 + b'"}',
    b'{"auditRecordId":"ae14","documentId":"d","auditRecordId":"ae14b"}',
    b'{"auditRecordId":"ae15","documentId":"d","payload":{"archiveComments":"' + b"y" * 100_001 + b'"}}',
    b'{"auditRecordId":{"S":"ae16"},"documentId":{"N":"16"},"createdTs":{"N":"1788000000"},'
    b'"actionType":{"S":"DemandArchived"},"payload":{"M":{"archiveReason":{"S":"r\\tx"}}}}',
    b'{"auditRecordId":{"S":"ae17"},"documentId":{"S":"d"},"payload":{"M":{"archiveReason":"plain"}}}',
    b'{"auditRecordId":{"S":"ae18"},"documentId":"d"}',
    b'{"auditRecordId":{"S":"ae19"},"documentId":{"S":"d"},"createdTs":{"S":"1788000000"}}',
]
