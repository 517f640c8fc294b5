"""A signal while deploy is still handing a batch's writes to its threads: the writes already
sent finish first and are accounted for, as for a signal while it waits for them (the rollback
must know what exists). Found by tests/properties/test_signals.py once it signalled the moment the fake
received the held create, instead of some time later."""

from __future__ import annotations

import signal
import threading

import pytest

from kubectl_nim import interrupts
from kubectl_nim.app import deploy_write


class _SignalledWhileSubmitting(list):
    """The batch's items; handing out the second one raises SIGTERM in the main thread, as a
    signal landing between two submissions does."""

    def __iter__(self):
        for number, item in enumerate(list.__iter__(self)):
            if number == 1:
                signal.raise_signal(signal.SIGTERM)
            yield item


def test_a_signal_between_two_submissions_waits_for_what_was_sent():
    finished = []
    lock = threading.Lock()

    def send(item):
        with lock:
            finished.append(item)
        return {"item": item}

    with interrupts.installed():
        with pytest.raises(BaseException) as raised:
            deploy_write.send_batch(send, _SignalledWhileSubmitting([0, 1, 2]))
    stop = raised.value
    # Not a bare KeyboardInterrupt out of the submission loop: the batch's own report
    assert hasattr(stop, "answers") and hasattr(stop, "in_flight"), repr(stop)
    assert getattr(stop.signal, "signum", None) == signal.SIGTERM
    sent = [i for i, answer in enumerate(stop.answers) if answer is not None]
    assert sent and all(stop.answers[i] == {"item": i} for i in sent)
    assert sorted(finished) == sent  # whatever was sent has answered and is accounted for
    assert stop.in_flight == []
