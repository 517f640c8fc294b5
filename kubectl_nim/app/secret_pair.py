"""Putting one key into a deployment's secret pair, safely against concurrent writers.

A deployment's key lives twice: in the api-key Secret (the NGC_API_KEY env) and in the nvcr.io
pull Secret. `rotate-key`, `migrate` and `deploy --apply` with a new key change both; the pair
must end holding one key, whatever else runs at the same time (two concurrent
rotations with different keys both exited 0 and left the secrets with different keys).

The protocol
------------
1. Snapshot. Each Secret is read once; the key it holds then is the *expected old key* and its
   resourceVersion the precondition of our write.
2. Write each Secret in turn with a precondition: an update is a PUT carrying the snapshot's
   resourceVersion, a missing Secret is created (POST; AlreadyExists is a conflict). When the
   pair changes at all, a Secret that already holds our key is written too (its annotation
   kubectl-nim/key-written-at changes): a Secret skipped as "unchanged" would take no part in
   the preconditions, and another run could complete its half of the pair over ours. A
   conflict (409) makes us read the Secret again and look at the key it holds now:
   * our key: our own earlier attempt landed (a write that timed out) — done;
   * the expected old key and the snapshot's fence annotation: someone changed something
     else (a label) — retry on the new resourceVersion, bounded (optimistic.MAX_ATTEMPTS);
   * any other key, or another run's fence (it may have written the very key we took for
     the old one): a CONCURRENT KEY WRITER. We never overwrite it: we stop, put back what
     this run already wrote (compare-and-swap, only where our write is still in place), and
     fail saying which Secret holds which key fingerprint.
   A write that timed out may land later: if a retry then finds our key already in place,
   that Secret still counts as written by this run (a later failure puts it back).
   A write in flight when a signal arrives is finished first (interrupts.deferred); the
   interruption is then handled like a failure: undo what this run wrote, report, exit 128+n.
3. Verify. Both Secrets are read again; each must hold our key. If one holds another key, a
   concurrent writer got in after our write: we do not fight it (the other run either finishes
   with its key in both, or puts ours back), we re-read a few times to let it settle, and if the
   pair is still mixed we fail, naming each Secret's key fingerprint and how to repair (re-run).

Of two overlapping runs with different keys, the one whose snapshot is older meets a 409 with
a foreign key on its first write to a Secret the other already wrote, so at most one reports
success and the pair ends with one key. Fingerprints are the first 8 hex digits of the key's
SHA-256: enough to tell keys apart, useless to an attacker; the key itself is never printed.
"""

from __future__ import annotations

import copy
import hashlib
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from kubectl_nim import interrupts
from kubectl_nim.app import optimistic, predictor_restart, secret_writes
from kubectl_nim.domain import names, nim_runtime
from kubectl_nim.domain.keys import ENV_VAR as API_KEY_ENV
from kubectl_nim.errors import NimError
from kubectl_nim.domain.refs import kind_ref
from kubectl_nim.domain.dry_run import DryRun

if TYPE_CHECKING:
    from datetime import datetime

VERIFY_ATTEMPTS = 3
VERIFY_PAUSE = 0.3   # seconds between verification reads: a concurrent loser's undo settles


def fingerprint(key: str | None) -> str:
    """`sha256:1a2b3c4d`, or `no key` — safe to print."""
    if not key:
        return "no key"
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()[:8]


class ConcurrentWriter(NimError):
    """Another writer put a different key into a Secret of the pair while we were writing."""

    def __init__(self, ref: str, held: str | None):
        super().__init__(f"another writer put a different key ({fingerprint(held)}) into {ref} "
                         f"while this run was writing it; not overwriting it")
        self.ref = ref


def fence_of(secret: Mapping | None) -> str | None:
    return (((secret or {}).get("metadata") or {}).get("annotations") or {}).get(names.KEY_FENCE_ANNOTATION)


def guarded(target, namespace: str, key: str, expected_old: str | None,
            fence: str | None = None, expected_fence: str | None = None) -> Callable:
    """target.desired, refusing to overwrite a key that is neither the snapshot's nor ours.

    With `fence`, an existing Secret is always written (the annotation changes), even when it
    already holds our key: see step 2 of the module docstring."""
    compute = target.desired(namespace, key)

    def desired(current):
        if current is None:
            return compute(current)
        held = target.key_in(current)
        if held not in (expected_old, key) or \
                fence_of(current) not in (expected_fence, fence):
            # Another key, or another run's fence (it may have written the very key we took
            # for the old one): a concurrent key writer.
            raise ConcurrentWriter(kind_ref('Secret', target.name), held)
        want = compute(copy.deepcopy(current))
        if fence is None:
            return want
        want = want if want is not None else copy.deepcopy(current)
        annotations = want.setdefault("metadata", {}).get("annotations") or {}
        want["metadata"]["annotations"] = {**annotations, names.KEY_FENCE_ANNOTATION: fence}
        return want
    return desired


def write_pair(cluster, namespace: str, targets: Sequence, key: str, *, dry_run: DryRun = DryRun.NONE,
               current: Mapping[str, dict | None] | None = None,
               on_written: Callable = lambda w: None, sleep: Callable[[float], None],
               now: Callable[[], datetime], warn: Callable[[str], None]) -> list:
    """Steps 1-3 of the module docstring. Returns optimistic.Written per target; raises
    secret_writes.SecretsFailed (exit 1, or 128+n when a signal interrupted it) after undoing.
    `sleep`, `now` (the fence's stamp) and `warn`: the run's (Environment)."""

    snapshot = dict(current) if current is not None else {}
    missing = [t.name for t in targets if t.name not in snapshot]
    if missing:
        snapshot.update(optimistic.read_secrets(cluster, namespace, missing))
    # When any Secret of the pair changes, every existing one is written (fenced), so that each
    # takes part in the resourceVersion preconditions; see step 2 of the module docstring.
    changing = any(t.desired(namespace, key)(copy.deepcopy(snapshot.get(t.name))) is not None
                   for t in targets if snapshot.get(t.name) is not None) or \
        any(snapshot.get(t.name) is None for t in targets)
    fence = predictor_restart.timestamp(now) if changing and len(targets) > 1 else None
    done: list = []
    target = None
    try:
        for target in targets:
            before = snapshot.get(target.name)
            expected_old = target.key_in(before) if before is not None else None
            try:
                written = optimistic.read_modify_write(
                    cluster, "Secret", target.name, namespace,
                    guarded(target, namespace, key, expected_old, fence, fence_of(before)),
                    dry_run=dry_run,
                    current=before, have_current=True, sleep=sleep)
            except ConcurrentWriter as error:
                raise _concurrent_failure(cluster, namespace, targets, error, done,
                                          sleep=sleep) from None
            except NimError as error:
                if optimistic.was_uncertain(error) and dry_run.persists:
                    _add_in_flight(done, target, namespace, key, before)
                raise secret_writes.failed_secrets(cluster, namespace, target, error, done,
                                           dry_run, sleep) from None
            if written.action == "unchanged" and written.uncertain and expected_old != key:
                # An earlier attempt timed out but landed: the "unchanged" Secret holds our key
                # because of this run, so a later failure must put it back too.
                written = optimistic.Written(written.ref, before, written.before,
                                       "created" if before is None else "configured", True)
            elif written.action != "unchanged" and before is not None:
                # Undo puts back the data of the snapshot (the state before this run), not of
                # a re-read after a retry, which may already hold our own landed write.
                written.before = before
            done.append((target, written))
            target = None
            on_written(written)
    except KeyboardInterrupt as signal:
        if target is not None and dry_run.persists:  # its write was in flight and has finished
            _add_in_flight(done, target, namespace, key, snapshot.get(target.name))
        failure = secret_writes.failed_secrets(
            cluster, namespace, target or targets[-1],
            NimError(interrupts.describe(signal)), done, dry_run, sleep)
        failure.signal = signal
        raise failure from None
    if dry_run.persists:
        verify(cluster, namespace, targets, key, sleep=sleep, warn=warn)
    return [w for _, w in done]


def _concurrent_failure(cluster, namespace: str, targets: Sequence, error: ConcurrentWriter,
                        done: list, *, sleep: Callable[[float], None]):

    restored, left = secret_writes.undo_secrets(cluster, namespace, done, sleep=sleep)
    undone = f"; put back {', '.join(restored)}" if restored else "; this run changed nothing"
    if left:
        undone += f"; COULD NOT put back {', '.join(left)}"
    try:
        now = f"; now {describe_pair(held_keys(cluster, namespace, targets))}"
    except NimError:
        now = ""
    return secret_writes.SecretsFailed(f"{error.message}{undone}{now}",
                              hint="another run is changing this deployment's key; when it is "
                                   "done, re-run the same command if your key should win")


def _add_in_flight(done: list, target, namespace: str, key: str, before) -> None:
    """A write that may have landed: undo it too if it did (undo compares the data)."""

    ours = target.desired(namespace, key)(copy.deepcopy(before) if before else None)
    if ours is not None:
        done.append((target, optimistic.Written(kind_ref('Secret', target.name), before, ours,
                                          "created" if before is None else "configured")))


def held_keys(cluster, namespace: str, targets: Sequence) -> dict[str, str | None]:

    secrets = optimistic.read_secrets(cluster, namespace, [t.name for t in targets])
    return {t.name: t.key_in(secrets.get(t.name)) for t in targets}


def describe_pair(held: Mapping[str, str | None]) -> str:
    return ", ".join(f"{kind_ref('Secret', name)} holds {fingerprint(k)}"
                     for name, k in held.items())


def verify(cluster, namespace: str, targets: Sequence, key: str, *,
           sleep: Callable[[float], None], warn: Callable[[str], None]) -> None:
    """Step 3: every Secret of the pair holds `key`, or a failure that says who holds what."""
    held: dict[str, str | None] = {}
    unreadable: NimError | None = None
    for attempt in range(VERIFY_ATTEMPTS):
        if attempt:
            sleep(VERIFY_PAUSE)
        try:
            held = held_keys(cluster, namespace, targets)
        except NimError as e:
            unreadable = e
            continue
        unreadable = None
        if all(k == key for k in held.values()):
            return
    if unreadable is not None and not held:
        # Every write was accepted with its precondition; only the check could not be made.
        warn(f"the secrets were written but could not be read back to verify them "
             f"({unreadable.message})")
        return
    raise secret_writes.SecretsFailed(
        f"another writer changed the key while this run wrote it: {describe_pair(held)} "
        f"(this run's key is {fingerprint(key)})",
        hint="the pair was left as the other writer made it; re-run the same command to put "
             "one key into both")


def apply_new_key(cluster, objects: Sequence[dict], before: Sequence[dict | None],
                  on_written: Callable = lambda w: None, *, sleep: Callable[[float], None],
                  now: Callable[[], datetime],
                  warn: Callable[[str], None]) -> dict[int, optimistic.Written]:
    """`deploy --apply` over existing Secrets: the key goes in through write_pair
    (preconditions, verification), never a blind server-side apply. Returns the optimistic.Written of
    each Secret by its index in `objects`; {} when the normal path applies (a Secret is missing:
    deploy creates it and rolls back on failure)."""

    indexes = [i for i, obj in enumerate(objects) if obj.get("kind") == "Secret"]
    if not indexes or any(before[i] is None for i in indexes):
        return {}
    targets, current, keys = [], {}, set()
    for i in indexes:
        obj = objects[i]
        pull = obj.get("type") == names.DOCKERCONFIG_TYPE
        target = secret_writes.SecretTarget(obj["metadata"]["name"], "pull" if pull else "api-key",
                                   nim_runtime.DOCKERCONFIG_KEY if pull else API_KEY_ENV)
        keys.add(target.key_in(obj))
        targets.append(target)
        current[target.name] = before[i]
    key = keys.pop() if len(keys) == 1 else None
    if key is None:
        return {}
    # Even when the snapshot already holds our key: a server-side apply of the Secrets would
    # overwrite, without precondition, a key another run put in since (the pair then mixes).
    # write_pair writes nothing for an unchanged Secret and refuses a foreign key.
    namespace = objects[indexes[0]]["metadata"].get("namespace") or cluster.namespace
    written = write_pair(cluster, namespace, targets, key, current=current, on_written=on_written,
                         sleep=sleep, now=now, warn=warn)
    return dict(zip(indexes, written))
