"""Step 4: each outcome judged here, in the grader, never in the sandbox."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from autograder.core import policy
from autograder.core.calls import Outcome
from autograder.core.checks import Check
from autograder.core.judge import Reason, Verdict
from autograder.grading import jobs


def verdicts(checks: Sequence[Check], outcomes: Mapping[str, Outcome | Verdict],
             blocked: Mapping[str, str]) -> dict[str, Verdict]:
    """Each check's verdict: refused by the static policy, not run, or its outcome judged."""
    found: dict[str, Verdict] = {}
    for check in checks:
        if check.call.function in blocked:
            found[check.id] = Verdict("policy", policy.not_run(blocked[check.call.function]),
                                      reason=Reason.POLICY)
            continue
        outcome = outcomes.get(check.id)
        if outcome is None:
            found[check.id] = jobs.not_run(f"{check.call.function} timed out on a "
                                           "published case")
            continue
        found[check.id] = outcome if isinstance(outcome, Verdict) else judge(check, outcome)
    return found


def timed_out(outcome: Outcome | Verdict | None) -> bool:
    if isinstance(outcome, Verdict):
        return outcome.status == "timeout"
    return outcome is not None and bool({"Timeout", "NotRun"} & set(outcome.error_types))


def judge(check: Check, outcome: Outcome) -> Verdict:
    """The verdict; data the child forged into a shape no judge expects is a failed check."""
    if outcome.refused:
        return (Verdict("policy", f"A hidden random case of {check.call.function}() failed: "
                        "it tried something the sandbox refuses.", reason=Reason.POLICY)
                if check.visibility == "hidden" else jobs.refusal_verdict(outcome))
    if "NotRun" in outcome.error_types:
        return jobs.not_run(f"{check.call.function} timed out on an earlier case")
    try:
        return check.judge(outcome)
    except Exception as error:
        return Verdict("error", f"The result of this call could not be judged "
                       f"({type(error).__name__}): it was not in the form the worker writes.",
                       reason=Reason.CRASHED)
