"""The Exchange scan of the demand pipeline (demand_pipeline.extract) on moto DynamoDB."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from botocore.exceptions import ClientError

from demand_pipeline.extract import item_line, scan_table
from itc_common_utilities.errors import TransientError


class ThrottlingDynamo:
    """A DynamoDB client stand-in that throttles the first calls of each segment, then defers to moto."""

    def __init__(self, real: Any, throttles: int) -> None:
        self.real, self.throttles, self.calls = real, throttles, 0

    def scan(self, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        if self.throttles > 0:
            self.throttles -= 1
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
                              "Scan")
        return self.real.scan(**kwargs)


def test_given_throttling_when_scanning_then_it_backs_off_and_reads_every_item(aws: dict[str, Any], fill) -> None:
    fill(n_docs=7)
    client = ThrottlingDynamo(aws["ddb"], throttles=5)
    sleeps: list[float] = []

    items = list(scan_table(client, "exchange-test-documents", segments=2, page_limit=3, sleep=sleeps.append))

    assert len(items) == 14
    assert len(sleeps) == 5 and all(s >= 0 for s in sleeps)


def test_given_endless_throttling_when_scanning_then_a_transient_error_says_so(aws: dict[str, Any]) -> None:
    client = ThrottlingDynamo(aws["ddb"], throttles=10**6)
    with pytest.raises(TransientError, match="still throttled"):
        list(scan_table(client, "exchange-test-documents", segments=2, page_limit=3, sleep=lambda _s: None))


def test_given_dynamodb_items_of_every_type_when_written_then_lines_are_plain_json() -> None:
    item = {"id": {"S": "x"}, "n": {"N": "12"}, "f": {"N": "1.5"}, "b": {"BOOL": False}, "z": {"NULL": True},
            "m": {"M": {"k": {"L": [{"S": "a"}, {"N": "2"}]}}}, "ss": {"SS": ["q"]}, "bin": {"B": b"hi"},
            "j": {"S": '{"firmName": "Acme"}'}}
    assert orjson.loads(item_line(item)) == {"id": "x", "n": 12, "f": 1.5, "b": False, "z": None,
                                             "m": {"k": ["a", 2]}, "ss": ["q"], "bin": "aGk=",
                                             "j": '{"firmName": "Acme"}'}
