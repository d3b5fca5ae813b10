"""Every reject reason code the loads can write to ops.rejected_records has plain-English words."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from itc_common_utilities import timestamps
from itc_common_utilities.loader.reject_reasons import REASON_WORDS, reason_in_words

REPO = Path(__file__).resolve().parents[3]
EMITTERS = [REPO / "common" / "itc_common_utilities" / "itc_common_utilities",
            *sorted((REPO / "terraform_modules").glob("*/lambdas"))]
CODE = re.compile(r"^[a-z]+(_[a-z]+)+$")
# calls whose first argument is a reason code (the rejection, the Verify+ builder's helpers)
REJECTING_CALLS = {"RecordRejected", "_reject", "_IsoForm"}


def emitted_codes() -> dict[str, str]:
    """Every literal reason code passed to a rejecting call, or as the reason of ``rejects.add(line, code, ...)``,
    in the shared package and the Lambdas: code -> where it was first seen."""
    found: dict[str, str] = {}
    for root in EMITTERS:
        for path in root.rglob("*.py"):
            if "tests" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not isinstance(node, ast.Call):
                    continue
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                position = 0 if name in REJECTING_CALLS else 1 if name == "add" and len(node.args) >= 2 else None
                if position is None or len(node.args) <= position:
                    continue
                arg = node.args[position]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and CODE.match(arg.value):
                    found.setdefault(arg.value, f"{path.relative_to(REPO)}:{node.lineno}")
    for constant in (timestamps.BAD, timestamps.IMPLAUSIBLE):  # raised through module constants
        found.setdefault(constant, "itc_common_utilities/timestamps.py")
    return found


def test_given_the_loads_emitters_when_scanned_then_every_reason_code_has_words() -> None:
    """GIVEN every reason code the loader, the time contract and the two pipelines can reject a record with
    WHEN looked up in REASON_WORDS THEN each has a sentence (and the scan does find the known codes)."""
    codes = emitted_codes()
    assert {"missing_key", "duplicate_key", "nul_byte", "too_long", "bad_type", "bad_timestamp",
            "implausible_timestamp", "bad_request_id", "bad_currency", "bad_number", "bad_date"} <= set(codes)
    missing = {code: where for code, where in codes.items() if code not in REASON_WORDS}
    assert missing == {}, f"reason codes without words (add them to loader/reject_reasons.py): {missing}"


def test_given_a_code_then_its_words_are_a_sentence_and_an_unknown_code_is_named() -> None:
    """GIVEN a known and an unknown code WHEN put in words THEN the known one is a sentence without the code,
    the unknown one says it is another reason and names the code."""
    assert reason_in_words("bad_type") == ("A value has the wrong kind, e.g. text where a number, a list or an "
                                           "object was expected.")
    for code, words in REASON_WORDS.items():
        assert words[0].isupper() and words.endswith(".") and code not in words
    assert reason_in_words("new_code") == "Another reason (code 'new_code')."
