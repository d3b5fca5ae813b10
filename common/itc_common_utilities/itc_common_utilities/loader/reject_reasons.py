"""Every reason a load can reject a record for, in plain English: ``ops.rejected_records.reason_code`` → words.

The codes are emitted by the loader (:mod:`~itc_common_utilities.loader.render`,
:mod:`~itc_common_utilities.loader.apply`), the time contract (:mod:`~itc_common_utilities.timestamps`)
and the two pipelines' record builders. The words are defined here, once, for the people who read
the reports: the dashboard and ``itc status`` show them instead of the codes. A test scans the
emitters and fails when a code has no words.
"""

from __future__ import annotations

from itc_common_utilities.timestamps import BAD as BAD_TIMESTAMP
from itc_common_utilities.timestamps import IMPLAUSIBLE as IMPLAUSIBLE_TIMESTAMP

REASON_WORDS: dict[str, str] = {
    # the loader, for every table
    "missing_key": "The record has no identifier (its key field is empty), so it cannot be told apart from others.",
    "duplicate_key": "Another record earlier in the same file has the same identifier; the first one was kept.",
    "nul_byte": "A value contains a NUL character, which the database cannot store.",
    "too_long": "A value is longer than the warehouse accepts for that field.",
    "bad_type": "A value has the wrong kind, e.g. text where a number, a list or an object was expected.",
    # the time contract (timestamps.py)
    BAD_TIMESTAMP: "A date and time could not be read, or has no time zone.",
    IMPLAUSIBLE_TIMESTAMP: "A date or time is implausible: earlier than the source can hold, or in the future.",
    # the Verify+ record builder
    "bad_request_id": "The Verify+ request ID is not a positive whole number.",
    "bad_currency": "An amount of money could not be read (expected a number or an amount like $25,000.00).",
    "bad_number": "A number could not be read, is not finite, or is out of range.",
    "bad_date": "A date could not be read (expected a real calendar day as YYYY-MM-DD).",
}


def reason_in_words(code: str) -> str:
    """The plain-English sentence of ``code``; a code this module does not know is named as such."""
    return REASON_WORDS.get(code, f"Another reason (code {code!r}).")
