"""Refusals carry a catalogue message: its code, its text in each language, across processes."""

import pickle

import pytest

from agent.intake import ReportRejected
from agent.lifecycle import TransitionRefused, check_transition
from core.messages import Explained, NotFound, message

pytestmark = pytest.mark.unit


def test_a_refused_move_names_the_statuses_in_the_readers_language() -> None:
    with pytest.raises(TransitionRefused) as caught:
        check_transition("received", "closed")
    assert caught.value.code == "transition.refused"
    assert str(caught.value) == ("「待审核」的案件不能改为「已办结」：从「待审核」只能改为 "
                                 "已受理、已派单、已合并、不予受理。")
    assert caught.value.text("en").endswith("it can become Accepted, Dispatched, Merged, Rejected.")


@pytest.mark.parametrize("refusal", [ReportRejected(message("report.empty")),
                                     NotFound(message("case.not_found", id=7)),
                                     TransitionRefused(message("transition.final", current=message("status.closed"),
                                                               target=message("status.handling")))])
def test_refusals_survive_the_trip_back_from_a_worker_process(refusal: Explained) -> None:
    again = pickle.loads(pickle.dumps(refusal))
    assert type(again) is type(refusal)
    assert str(again) == str(refusal)
    assert again.code == refusal.code
    assert again.text("en") == refusal.text("en")
