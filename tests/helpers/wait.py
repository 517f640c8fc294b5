"""What the `--wait` tests share: InferenceService and Event builders, the conditions of a
not-ready and a ready InferenceService, a recording echo and a scripted sleep that plays the
controllers between polls."""

from __future__ import annotations

from tests.helpers.deploy import NAME, NS


def isvc(status=None, name=NAME):
    obj = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
           "metadata": {"name": name, "namespace": NS}, "spec": {"predictor": {}}}
    if status is not None:
        obj["status"] = status
    return obj


def conditions(**values):
    """conditions(PredictorReady=("False", "Reason", "message"), Ready="True")"""
    out = []
    for kind, value in values.items():
        status, reason, message = (value, None, None) if isinstance(value, str) else value
        cond = {"type": kind, "status": status}
        if reason:
            cond["reason"] = reason
        if message:
            cond["message"] = message
        out.append(cond)
    return {"conditions": out}


def event(involved, reason, message, kind="Pod", type_="Warning", name=None):
    return {"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": name or f"{involved}.{reason.lower()}", "namespace": NS},
            "involvedObject": {"kind": kind, "name": involved, "namespace": NS},
            "reason": reason, "message": message, "type": type_}


NOT_READY = conditions(PredictorReady=("False", "ContainersNotReady",
                                       "containers with unready status: [kserve-container]"),
                       IngressReady="False", Ready=("False", "PredictorNotReady", None))
READY = conditions(PredictorReady="True", IngressReady="True", Ready="True")


class Echo:
    def __init__(self):
        self.calls = []

    def __call__(self, text, nl=True, err=False):
        self.calls.append((text, nl, err))


class Script:
    """Injected sleep: step i changes the fake server the way the controllers would."""

    def __init__(self, server, steps):
        self.server, self.steps, self.slept, self.now = server, list(steps), [], 0.0

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds
        if self.steps:
            for obj in self.steps.pop(0):
                self.server.put_object(obj)

    def clock(self):
        return self.now
