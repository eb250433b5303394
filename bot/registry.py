"""The model registry: every trained model version, how good it is, and which one serves.

Every training run (``finbot train``, ``finbot setup``, tuning, retraining)
registers a version: the archive, the config, fingerprints of the training
data, the code version, training time, model size and the held-out
evaluation report (``bot.evaluation``). A version's status is

    candidate -> serving -> retired          (promoted, later replaced)
    candidate -> refused                     (the gate said no)

Exactly one version serves at a time: ``promote`` and ``rollback`` retire the
old one and serve the new one in one transaction, writers queue on a lock
(an advisory lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), and a partial
unique index refuses a second serving row whatever the code above does.
Every promotion, refusal and rollback is stored with who, when, why and the
gate's checks (``ModelDecision``).

The server polls ``serving_model(engine)`` (one indexed query) and loads the
archive it names when it changes.

``gate(candidate_report, serving_report, policy)`` is pure: it compares two
reports under the thresholds of ``bot/promotion_policy.yml`` and returns the
verdict with its reasons.
"""
from __future__ import annotations

import getpass
import json
import os
import socket
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from sqlalchemy import insert, select, text, update
from sqlalchemy.engine import Connection, Engine

from bot.training import BOT_DIR, PROJECT_ROOT, config_path, data_fingerprints, model_metadata, training_fingerprint
from recommender.store.models import ModelDecision, ModelVersion

POLICY_FILE = BOT_DIR / "promotion_policy.yml"
_PROMOTION_LOCK_KEY = 0x46424D4F44454C  # "FBMODEL": advisory lock id for serving changes on PostgreSQL
_EPSILON = 1e-9  # scores are ratios of small integers; compare them without float noise

VERSIONS = ModelVersion.__table__
DECISIONS = ModelDecision.__table__


class RegistryError(Exception):
    """A registry operation that cannot be done (unknown version, nothing to roll back to, ...)."""


# --------------------------------------------------------------------------- the gate


@dataclass(frozen=True)
class GatePolicy:
    """Thresholds of the promotion gate; bot/promotion_policy.yml explains each one."""

    accuracy_max_drop_points: float = 0.5
    macro_f1_max_drop_points: float = 0.5
    entity_f1_max_drop_points: float = 0.0
    intent_f1_max_drop_points: float = 10.0
    latency_p95_max_growth_percent: float = 20.0
    latency_p95_max_growth_ms: float = 5.0
    require_conversation_suite: bool = False

    @classmethod
    def load(cls, path: Optional[Path] = None) -> "GatePolicy":
        import yaml

        path = Path(path or os.environ.get("FINBOT_PROMOTION_POLICY") or POLICY_FILE)  # a bank's own thresholds
        values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown promotion policy keys {sorted(unknown)} in {path}")
        return cls(**values)


@dataclass(frozen=True)
class GateCheck:
    name: str                 # accuracy | macro_f1 | entity_f1 | intent_f1 | latency_p95 | conversations | report
    scope: str                # a language, an intent, or "all"
    candidate: Optional[float]
    serving: Optional[float]
    passed: bool
    message: str


@dataclass(frozen=True)
class GateDecision:
    promote: bool
    reasons: list             # why: the failed checks' messages, or why it passes
    checks: list = field(default_factory=list)  # every GateCheck, passed or not

    def to_dict(self) -> dict:
        return {"promote": self.promote, "reasons": list(self.reasons), "checks": [asdict(c) for c in self.checks]}

    @classmethod
    def from_dict(cls, data: dict) -> "GateDecision":
        return cls(data["promote"], data["reasons"], [GateCheck(**c) for c in data.get("checks", [])])


def pooled_intent_f1(confusion: dict) -> dict:
    """Per-intent F1 over all languages, from the confusion matrix (gold -> {predicted: count})."""
    predicted_totals: dict = {}
    for row in confusion.values():
        for label, count in row.items():
            predicted_totals[label] = predicted_totals.get(label, 0) + count
    scores = {}
    for gold, row in confusion.items():
        tp = row.get(gold, 0)
        fn = sum(row.values()) - tp
        fp = predicted_totals.get(gold, 0) - tp
        scores[gold] = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    return scores


def _drop_check(name: str, scope: str, candidate: Optional[float], serving: Optional[float],
                max_drop_points: float) -> GateCheck:
    if serving is None:
        return GateCheck(name, scope, candidate, serving, True, f"{name} {scope}: nothing to compare with")
    if candidate is None:
        return GateCheck(name, scope, candidate, serving, False,
                         f"{name} {scope}: the candidate has no score (serving {serving:.3f})")
    drop_points = (serving - candidate) * 100
    passed = drop_points <= max_drop_points + _EPSILON
    verb = "drops" if drop_points > _EPSILON else "changes"
    limit = f"limit -{max_drop_points:g}" if max_drop_points > 0 else "no drop allowed"
    message = f"{name} {scope} {verb} {serving:.3f} -> {candidate:.3f} ({-drop_points:+.2f} points, {limit})"
    return GateCheck(name, scope, candidate, serving, passed, message)


def gate(candidate_report: Optional[dict], serving_report: Optional[dict],
         policy: Optional[GatePolicy] = None) -> GateDecision:
    """May the candidate replace the serving model? Reports are ``Report.to_dict()`` (or a Report).

    Refused when, against the serving model on the same held-out split: any
    language's intent accuracy or macro-F1 drops by more than the tolerance,
    any language's entity F1 drops, any intent's F1 (pooled over languages)
    drops past its threshold, parse latency p95 grows past both its limits,
    or attached conversation tests failed. Promoted when nothing serves.
    """
    policy = policy or GatePolicy.load()
    candidate_report = _as_dict(candidate_report)
    serving_report = _as_dict(serving_report)
    if not candidate_report:
        check = GateCheck("report", "all", None, None, False, "the candidate has no evaluation report")
        return GateDecision(False, [check.message], [check])
    checks: list[GateCheck] = []
    suite = candidate_report.get("conversation_suite")
    if suite is not None:
        failed = int(suite.get("failed", 0))
        checks.append(GateCheck("conversations", "all", suite.get("passed"), None, failed == 0,
                                f"conversation tests: {suite.get('passed', 0)} passed, {failed} failed"))
    elif policy.require_conversation_suite:
        checks.append(GateCheck("conversations", "all", None, None, False,
                                "conversation tests were not run on the candidate (the policy requires them)"))
    if not serving_report:
        reason = "no model is serving: nothing to compare with"
        failed = [c.message for c in checks if not c.passed]
        return GateDecision(not failed, failed or [reason], checks)

    for language, serving in serving_report["by_language"].items():
        candidate = candidate_report["by_language"].get(language) or {}
        checks.append(_drop_check("accuracy", language, candidate.get("intent_accuracy"),
                                  serving["intent_accuracy"], policy.accuracy_max_drop_points))
        checks.append(_drop_check("macro_f1", language, candidate.get("intent_macro_f1"),
                                  serving["intent_macro_f1"], policy.macro_f1_max_drop_points))
        if serving.get("entity_f1") is not None:
            checks.append(_drop_check("entity_f1", language, candidate.get("entity_f1"), serving["entity_f1"],
                                      policy.entity_f1_max_drop_points))

    candidate_f1 = pooled_intent_f1(candidate_report.get("confusion") or {})
    for intent, serving_f1 in sorted(pooled_intent_f1(serving_report.get("confusion") or {}).items()):
        check = _drop_check("intent_f1", intent, candidate_f1.get(intent, 0.0), serving_f1,
                            policy.intent_f1_max_drop_points)
        checks.append(check)

    old, new = serving_report["latency_ms_p95"], candidate_report["latency_ms_p95"]
    growth_ms = new - old
    growth_percent = growth_ms / old * 100 if old > 0 else (0.0 if growth_ms <= 0 else float("inf"))
    too_slow = (growth_ms > policy.latency_p95_max_growth_ms + _EPSILON
                and growth_percent > policy.latency_p95_max_growth_percent + _EPSILON)
    checks.append(GateCheck(
        "latency_p95", "all", new, old, not too_slow,
        f"parse latency p95 {old:.1f} -> {new:.1f} ms ({growth_ms:+.1f} ms, {growth_percent:+.0f}%; refused above "
        f"+{policy.latency_p95_max_growth_ms:g} ms and +{policy.latency_p95_max_growth_percent:g}%)"))

    failed = [c.message for c in checks if not c.passed]
    if failed:
        return GateDecision(False, failed, checks)
    return GateDecision(True, ["not worse than the serving model in any check"], checks)


def _as_dict(report: Any) -> Optional[dict]:
    if report is None or isinstance(report, dict):
        return report
    return report.to_dict()


# --------------------------------------------------------------------------- versions


@dataclass(frozen=True)
class VersionInfo:
    """One registry row, detached from the database."""

    version: str
    archive_path: str
    config_name: str
    config_text: str
    fingerprint: str
    nlu_sha256: str
    domain_sha256: str
    stories_sha256: str
    code_version: str
    source: str
    trained_at: datetime
    training_seconds: float
    size_bytes: int
    tensorboard_dir: Optional[str]
    report: Optional[dict]
    status: str
    registered_at: datetime
    status_changed_at: datetime

    @property
    def path(self) -> Path:
        return Path(self.archive_path)

    def language_scores(self) -> dict:
        return (self.report or {}).get("by_language", {})

    def overall_accuracy(self) -> Optional[float]:
        """Intent accuracy over all held-out examples (languages weighted by their size)."""
        scores = self.language_scores()
        total = sum(s["examples"] for s in scores.values())
        return sum(s["intent_accuracy"] * s["examples"] for s in scores.values()) / total if total else None


@dataclass(frozen=True)
class DecisionInfo:
    id: int
    version: str
    action: str
    previous_version: Optional[str]
    forced: bool
    decided_by: str
    decided_at: datetime
    reason: str
    gate: Optional[dict]


def _utc(moment: Optional[datetime]) -> Optional[datetime]:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


def _version_info(row) -> VersionInfo:
    values = dict(row._mapping)
    for key in ("trained_at", "registered_at", "status_changed_at"):
        values[key] = _utc(values[key])
    return VersionInfo(**values)


def _decision_info(row) -> DecisionInfo:
    values = dict(row._mapping)
    values["decided_at"] = _utc(values["decided_at"])
    return DecisionInfo(**values)


def default_actor() -> str:
    """Who is deciding, when the caller does not say: user@host."""
    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def _json_safe(report: dict) -> dict:
    """numpy scalars and tuples -> plain JSON values."""
    return json.loads(json.dumps(report, default=float))


def _relative(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


def register_model(engine: Engine, archive: Path, *, source: str, config_file: Optional[Path] = None,
                   report: Optional[dict] = None, tensorboard_dir: Optional[Path] = None,
                   training_seconds: Optional[float] = None, version: Optional[str] = None) -> VersionInfo:
    """Evaluate ``archive`` on the held-out split (unless ``report`` is given) and register it as a candidate.

    What the archive was trained from comes from its sidecar JSON
    (``bot.training``); for an archive without one, from ``config_file`` and
    the data as it is now, which is only right if nothing changed since.
    """
    archive = Path(archive).resolve()
    if not archive.is_file():
        raise RegistryError(f"no model archive at {archive}")
    version = version or archive.name[: -len(".tar.gz")]
    if find_version(engine, version) is not None:
        raise RegistryError(f"model version {version!r} is already registered")
    meta = model_metadata(archive)
    config_name, config_text, config_file = _config_of(meta, config_file)
    data = meta.get("data") or data_fingerprints()
    if report is None:
        from bot.evaluation import evaluate_model

        report = evaluate_model(archive).to_dict()
    report = _json_safe({**_as_dict(report), "evaluated_at": datetime.now(timezone.utc).isoformat()})
    now = datetime.now(timezone.utc)
    trained_at = datetime.fromisoformat(meta["trained_at"]) if meta.get("trained_at") else \
        datetime.fromtimestamp(archive.stat().st_mtime, timezone.utc)
    from recommender.version import code_version

    row = {
        "version": version, "archive_path": str(archive), "config_name": config_name, "config_text": config_text,
        "fingerprint": meta.get("fingerprint") or (training_fingerprint(config_file) if config_file else "unknown"),
        "nlu_sha256": data["nlu"], "domain_sha256": data["domain"], "stories_sha256": data["stories"],
        "code_version": code_version()[:64], "source": source, "trained_at": trained_at,
        "training_seconds": float(training_seconds if training_seconds is not None
                                  else meta.get("training_seconds", 0.0)),
        "size_bytes": archive.stat().st_size,
        "tensorboard_dir": str(Path(tensorboard_dir).resolve()) if tensorboard_dir else None,
        "report": report, "status": "candidate", "registered_at": now, "status_changed_at": now,
    }
    with engine.begin() as connection:
        connection.execute(insert(VERSIONS).values(**row))
    return get_version(engine, version)


def _config_of(meta: dict, config_file: Optional[Path]) -> tuple[str, str, Optional[Path]]:
    """(name, text, file) of the config an archive was trained with; the sidecar's copy wins."""
    if config_file is not None:
        config_file = Path(config_file).resolve()
        return _relative(config_file), meta.get("config_text") or config_file.read_text(encoding="utf-8"), config_file
    name = meta.get("config") or _relative(config_path(None))
    path = Path(name) if Path(name).is_absolute() else PROJECT_ROOT / name
    if meta.get("config_text"):
        return name, meta["config_text"], path if path.is_file() else None
    if not path.is_file():
        raise RegistryError(f"the archive's config {name} no longer exists; pass config_file")
    return name, path.read_text(encoding="utf-8"), path


def ensure_registered(engine: Engine, archive: Path, *, source: str) -> VersionInfo:
    """The registry entry of ``archive``, registering it first if it has none."""
    archive = Path(archive).resolve()
    with engine.connect() as connection:
        row = connection.execute(select(VERSIONS).where(VERSIONS.c.archive_path == str(archive))).first()
    return _version_info(row) if row else register_model(engine, archive, source=source)


def find_version(engine: Engine, version: str) -> Optional[VersionInfo]:
    with engine.connect() as connection:
        row = connection.execute(select(VERSIONS).where(VERSIONS.c.version == version)).first()
    return _version_info(row) if row else None


def get_version(engine: Engine, version: str) -> VersionInfo:
    """A version by id; "serving" names the one serving now."""
    found = serving_version(engine) if version == "serving" else find_version(engine, version)
    if found is None:
        raise RegistryError("no model is serving" if version == "serving" else f"no model version {version!r}")
    return found


def list_versions(engine: Engine) -> list[VersionInfo]:
    """Every version, oldest first."""
    with engine.connect() as connection:
        rows = connection.execute(select(VERSIONS).order_by(VERSIONS.c.trained_at, VERSIONS.c.version)).all()
    return [_version_info(r) for r in rows]


def serving_version(engine: Engine) -> Optional[VersionInfo]:
    with engine.connect() as connection:
        row = connection.execute(select(VERSIONS).where(VERSIONS.c.status == "serving")).first()
    return _version_info(row) if row else None


def serving_model(engine: Engine) -> Optional[Path]:
    """The archive the server should load, or None when nothing has been promoted.

    Cheap enough to poll every few seconds from every worker: one row by a
    unique index, one column.
    """
    with engine.connect() as connection:
        path = connection.execute(
            select(VERSIONS.c.archive_path).where(VERSIONS.c.status == "serving")).scalar_one_or_none()
    return Path(path) if path else None


def decisions(engine: Engine, version: Optional[str] = None) -> list[DecisionInfo]:
    """Promotion history, oldest first (of one version: where it was promoted, refused or replaced)."""
    query = select(DECISIONS).order_by(DECISIONS.c.id)
    if version is not None:
        query = query.where((DECISIONS.c.version == version) | (DECISIONS.c.previous_version == version))
    with engine.connect() as connection:
        return [_decision_info(r) for r in connection.execute(query).all()]


def attach_conversation_results(engine: Engine, version: str, passed: int, failed: int,
                                details: Optional[list] = None) -> None:
    """Add the conversation suite's outcome to a version's report; the gate reads it."""
    info = get_version(engine, version)
    report = {**(info.report or {}), "conversation_suite": {"passed": passed, "failed": failed,
                                                            "details": details or []}}
    with engine.begin() as connection:
        connection.execute(update(VERSIONS).where(VERSIONS.c.version == version).values(report=report))


# --------------------------------------------------------------------------- serving changes


@dataclass(frozen=True)
class PromotionResult:
    version: str
    promoted: bool
    previous_version: Optional[str]   # what served before (still serving when refused)
    forced: bool
    decision: GateDecision


def _begin_serving_change(connection: Connection) -> None:
    """Queue behind any other promotion or rollback before reading who serves."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PROMOTION_LOCK_KEY})
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _set_status(connection: Connection, version: str, status: str, at: datetime) -> None:
    connection.execute(update(VERSIONS).where(VERSIONS.c.version == version)
                       .values(status=status, status_changed_at=at))


def _record(connection: Connection, *, version: str, action: str, previous: Optional[str], forced: bool,
            by: str, at: datetime, reason: str, decision: Optional[GateDecision]) -> None:
    connection.execute(insert(DECISIONS).values(
        version=version, action=action, previous_version=previous, forced=forced, decided_by=by[:200],
        decided_at=at, reason=reason[:1000], gate=decision.to_dict() if decision else None))


def _serve(connection: Connection, version: str, previous: Optional[str], at: datetime) -> None:
    """Retire the serving version, then serve the new one: the unique index never sees two."""
    if previous is not None:
        _set_status(connection, previous, "retired", at)
    _set_status(connection, version, "serving", at)


def promote(engine: Engine, version: str, *, by: Optional[str] = None, reason: str = "", force: bool = False,
            policy: Optional[GatePolicy] = None, serving_report: Optional[dict] = None) -> PromotionResult:
    """Run the gate of ``version`` against the serving model; serve it if it passes (or ``force``).

    A refusal marks a candidate ``refused`` and is recorded with the gate's
    reasons; so is a forced promotion, with the reasons it overrode.
    ``serving_report``: the serving model evaluated again just now (e.g. by
    the retraining job), so both latencies are measured under the same load;
    by default its report from registration is used.
    """
    by = by or default_actor()
    policy = policy or GatePolicy.load()
    with engine.begin() as connection:
        _begin_serving_change(connection)
        row = connection.execute(select(VERSIONS).where(VERSIONS.c.version == version)).first()
        if row is None:
            raise RegistryError(f"no model version {version!r}")
        candidate = _version_info(row)
        if candidate.status == "serving":
            raise RegistryError(f"{version} is already serving")
        if not candidate.path.is_file():
            raise RegistryError(f"the archive of {version} is missing: {candidate.archive_path}")
        serving_row = connection.execute(select(VERSIONS).where(VERSIONS.c.status == "serving")).first()
        serving = _version_info(serving_row) if serving_row else None
        if serving is not None and serving_report is not None:
            serving_report = _as_dict(serving_report)
        else:
            serving_report = serving.report if serving else None
        decision = gate(candidate.report, serving_report, policy)
        now = datetime.now(timezone.utc)
        previous = serving.version if serving else None
        if decision.promote or force:
            _serve(connection, version, previous, now)
            why = reason or ("; ".join(decision.reasons) if decision.promote else "forced")
            _record(connection, version=version, action="promote", previous=previous, forced=not decision.promote,
                    by=by, at=now, reason=why, decision=decision)
            return PromotionResult(version, True, previous, not decision.promote, decision)
        if candidate.status == "candidate":
            _set_status(connection, version, "refused", now)
        _record(connection, version=version, action="refuse", previous=previous, forced=False, by=by, at=now,
                reason=reason or "the promotion gate refused it", decision=decision)
        return PromotionResult(version, False, previous, False, decision)


def promote_if_nothing_serving(engine: Engine, version: str, *, by: Optional[str] = None,
                               reason: str = "the first model: nothing to compare with") -> Optional[PromotionResult]:
    """Serve ``version`` when no model serves yet (a fresh installation); otherwise do nothing."""
    if serving_version(engine) is not None:
        return None
    return promote(engine, version, by=by, reason=reason)


def _serving_stack(connection: Connection) -> list[str]:
    """Replay the history: a promotion pushes a version, a rollback pops one."""
    stack: list[str] = []
    rows = connection.execute(select(DECISIONS.c.action, DECISIONS.c.version)
                              .where(DECISIONS.c.action.in_(("promote", "rollback"))).order_by(DECISIONS.c.id))
    for action, version in rows:
        if action == "promote":
            stack.append(version)
        elif stack:
            stack.pop()
    return stack


def rollback(engine: Engine, *, by: Optional[str] = None, reason: str = "") -> PromotionResult:
    """Serve again the version that served before the current one (no gate: this is the way back).

    Repeated rollbacks walk further back through the promotion history.
    """
    by = by or default_actor()
    with engine.begin() as connection:
        _begin_serving_change(connection)
        current = connection.execute(select(VERSIONS.c.version).where(VERSIONS.c.status == "serving")).scalar()
        if current is None:
            raise RegistryError("no model is serving: nothing to roll back")
        stack = _serving_stack(connection)
        if len(stack) < 2 or stack[-1] != current:
            raise RegistryError(f"{current} is serving and no earlier serving version is recorded")
        target = stack[-2]
        archive = connection.execute(select(VERSIONS.c.archive_path).where(VERSIONS.c.version == target)).scalar()
        if not Path(archive).is_file():
            raise RegistryError(f"cannot roll back to {target}: its archive is missing ({archive})")
        now = datetime.now(timezone.utc)
        _serve(connection, target, current, now)
        _record(connection, version=target, action="rollback", previous=current, forced=False, by=by, at=now,
                reason=reason or f"rolled back from {current}", decision=None)
    return PromotionResult(target, True, current, False, GateDecision(True, [f"rolled back from {current}"]))
