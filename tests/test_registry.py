"""The model registry, the promotion gate, promotion/rollback, reports and TensorBoard logs.

Real databases (SQLite, and PostgreSQL through ``any_engine`` for the parts
that are pure database), real trained models: the session's ``ci_model`` is
registered through `finbot train --if-stale` (which finds it up to date and
adopts it, evaluating it on the held-out split), and the slow tests train one
deliberately worse candidate (the ci config with one epoch for our intent
classifier) through ``train_model(..., engine=...)``.
"""
from __future__ import annotations

import base64
import json
import os
import re
import shutil
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import inspect, update
from sqlalchemy.exc import IntegrityError

from bot import registry
from bot.registry import GatePolicy, RegistryError, gate
from bot.training import config_path, data_fingerprints, training_fingerprint
from recommender.store.db import current_revision, downgrade, head_revision, migrate, open_database
from recommender.version import code_version

LANGS = ("zh", "en", "mixed")


# --------------------------------------------------------------------------- synthetic reports


def synthetic_report(accuracy=0.90, macro_f1=0.88, entity_f1=0.80, p95=10.0, buy_fund_hits=45,
                     languages=LANGS) -> dict:
    """A report shaped like bot.evaluation.Report.to_dict()."""
    return {
        "by_language": {lang: {"examples": 100, "intent_accuracy": accuracy, "intent_macro_f1": macro_f1,
                               "entity_f1": entity_f1, "per_intent_f1": {"greet": 1.0, "buy_fund": 0.9},
                               "fallback_rate": 0.0, "wrong_intent_rate": round(1 - accuracy, 3)}
                        for lang in languages},
        "confusion": {"greet": {"greet": 50}, "buy_fund": {"buy_fund": buy_fund_hits, "ask_fund_info": 50 - buy_fund_hits},
                      "ask_fund_info": {"ask_fund_info": 50}},
        "latency_ms_p50": p95 / 2, "latency_ms_p95": p95, "errors": [],
    }


POLICY = GatePolicy()  # the documented defaults


def failed_checks(decision) -> set:
    return {(c.name, c.scope) for c in decision.checks if not c.passed}


# --------------------------------------------------------------------------- the gate (pure)


def test_policy_file_documents_the_defaults():
    assert GatePolicy.load() == GatePolicy()
    text = registry.POLICY_FILE.read_text(encoding="utf-8")
    for key in GatePolicy.__dataclass_fields__:
        assert f"\n{key}:" in text  # every threshold is in the file, with its comment above it


def test_gate_promotes_when_nothing_serves():
    decision = gate(synthetic_report(), None, POLICY)
    assert decision.promote and "nothing to compare with" in decision.reasons[0]


def test_gate_promotes_an_equal_or_better_candidate():
    assert gate(synthetic_report(), synthetic_report(), POLICY).promote
    better = gate(synthetic_report(accuracy=0.95, macro_f1=0.93, p95=9.0), synthetic_report(), POLICY)
    assert better.promote and better.reasons == ["not worse than the serving model in any check"]


def test_gate_tolerates_half_a_point_and_no_more():
    assert gate(synthetic_report(accuracy=0.896), synthetic_report(accuracy=0.90), POLICY).promote  # -0.4 points
    refused = gate(synthetic_report(accuracy=0.894), synthetic_report(accuracy=0.90), POLICY)  # -0.6 points
    assert not refused.promote
    assert failed_checks(refused) == {("accuracy", lang) for lang in LANGS}
    assert any("accuracy zh drops 0.900 -> 0.894" in reason for reason in refused.reasons)


def test_gate_checks_each_language_on_its_own():
    candidate = synthetic_report()
    candidate["by_language"]["mixed"]["intent_macro_f1"] = 0.80
    candidate["by_language"]["zh"]["intent_accuracy"] = 0.99  # better elsewhere does not buy it back
    decision = gate(candidate, synthetic_report(), POLICY)
    assert not decision.promote and failed_checks(decision) == {("macro_f1", "mixed")}


def test_gate_refuses_any_entity_f1_drop_and_a_missing_language():
    decision = gate(synthetic_report(entity_f1=0.79), synthetic_report(entity_f1=0.80), POLICY)
    assert failed_checks(decision) == {("entity_f1", lang) for lang in LANGS}
    missing = gate(synthetic_report(languages=("zh", "en")), synthetic_report(), POLICY)
    assert ("accuracy", "mixed") in failed_checks(missing) and not missing.promote


def test_gate_refuses_an_intent_that_collapses_behind_a_good_average():
    decision = gate(synthetic_report(buy_fund_hits=30), synthetic_report(buy_fund_hits=45), POLICY)
    # buy_fund loses recall, and ask_fund_info the precision of the 20 it wrongly took
    assert failed_checks(decision) == {("intent_f1", "buy_fund"), ("intent_f1", "ask_fund_info")}
    assert any(reason.startswith("intent_f1 buy_fund drops 0.947 -> 0.750") for reason in decision.reasons)


def test_gate_refuses_latency_growth_past_both_limits_only():
    assert gate(synthetic_report(p95=4.5), synthetic_report(p95=3.0), POLICY).promote       # +50% but +1.5 ms
    assert gate(synthetic_report(p95=110.0), synthetic_report(p95=100.0), POLICY).promote   # +10 ms but +10%
    slow = gate(synthetic_report(p95=20.0), synthetic_report(p95=10.0), POLICY)             # +10 ms and +100%
    assert failed_checks(slow) == {("latency_p95", "all")}
    assert "10.0 -> 20.0 ms" in slow.reasons[0]


def test_gate_reads_attached_conversation_results_and_the_policy_can_require_them():
    candidate = synthetic_report()
    assert not gate(candidate, synthetic_report(), GatePolicy(require_conversation_suite=True)).promote
    candidate["conversation_suite"] = {"passed": 11, "failed": 1}
    decision = gate(candidate, synthetic_report(), POLICY)
    assert failed_checks(decision) == {("conversations", "all")}
    assert gate(None, synthetic_report(), POLICY).reasons == ["the candidate has no evaluation report"]


def test_gate_decision_round_trips_through_json():
    decision = gate(synthetic_report(accuracy=0.5), synthetic_report(), POLICY)
    assert registry.GateDecision.from_dict(decision.to_dict()) == decision


def test_training_config_gets_a_tensorboard_folder_per_tensorflow_component(tmp_path):
    import yaml

    from bot.training import tensorboard_config

    copy = tensorboard_config(config_path(None), tmp_path / "tb" / "v1", tmp_path / "work")
    config = yaml.safe_load(copy.read_text(encoding="utf-8"))
    logged = {step["name"].rsplit(".", 1)[-1]: step for section in ("pipeline", "policies")
              for step in config[section] if "tensorboard_log_directory" in step}
    assert set(logged) == {"DIETClassifier", "FinbotTFIntentClassifier", "ResponseSelector", "TEDPolicy"}
    folders = [Path(step["tensorboard_log_directory"]) for step in logged.values()]
    assert len(set(folders)) == 4 and all(f.parent == tmp_path / "tb" / "v1" for f in folders)
    # Rasa's components take a log level; ours logs per epoch and has no such key
    assert logged["DIETClassifier"]["tensorboard_log_level"] == "epoch"
    assert "tensorboard_log_level" not in logged["FinbotTFIntentClassifier"]
    assert "tensorboard" not in config_path(None).read_text(encoding="utf-8")  # the original is untouched


# --------------------------------------------------------------------------- the registry on both databases


def fake_version(engine, folder: Path, name: str, **report) -> registry.VersionInfo:
    """A registered version whose archive is a placeholder file (the database parts never open it)."""
    archive = folder / f"{name}.tar.gz"
    archive.write_bytes(b"not a real model: " + name.encode())
    return registry.register_model(engine, archive, source="test", config_file=config_path("ci"),
                                   report=synthetic_report(**report), training_seconds=1.5)


def serving_names(engine) -> list:
    return [v.version for v in registry.list_versions(engine) if v.status == "serving"]


def test_an_older_up_to_date_archive_is_reused_after_a_newer_candidate(tmp_path):
    """`finbot setup` after `finbot tune`: the default's archive is older than the candidate's, yet current."""
    from bot.training import latest_model, train_model, up_to_date_model

    models = tmp_path / "models"
    models.mkdir()
    current = training_fingerprint(config_path(None))
    for age, (name, fingerprint) in enumerate([("default", current), ("tuned", "another config"), ("stale", "old")]):
        (models / f"{name}.tar.gz").write_bytes(b"an archive")
        (models / f"{name}.json").write_text(json.dumps({"fingerprint": fingerprint}), encoding="utf-8")
        os.utime(models / f"{name}.tar.gz", (1_000_000 + age, 1_000_000 + age))
    assert latest_model(models).name == "stale.tar.gz"
    assert up_to_date_model(models, current).name == "default.tar.gz"
    assert up_to_date_model(models, "never trained") is None
    # returned without training (these stand-in archives would not even load)
    reused = train_model(models, only_if_stale=True)
    assert reused.skipped and reused.path.name == "default.tar.gz" and reused.seconds == 0.0


def test_migration_adds_the_registry_and_removes_it_again(any_engine):
    assert {"model_versions", "model_decisions"} <= set(inspect(any_engine).get_table_names())
    indexes = {i["name"]: i for i in inspect(any_engine).get_indexes("model_versions")}
    assert indexes["uq_model_versions_one_serving"]["unique"]
    downgrade(any_engine, "0003")
    assert current_revision(any_engine) == "0003"
    assert not {"model_versions", "model_decisions"} & set(inspect(any_engine).get_table_names())
    migrate(any_engine)
    assert current_revision(any_engine) == head_revision()
    assert registry.list_versions(any_engine) == []


def test_registration_stores_what_the_model_was_built_from(any_engine, tmp_path):
    info = fake_version(any_engine, tmp_path, "v1")
    assert info.status == "candidate" and info.source == "test"
    assert info.config_name == "bot/configs/ci.yml" and "FinbotTFIntentClassifier" in info.config_text
    data = data_fingerprints()
    assert (info.nlu_sha256, info.domain_sha256, info.stories_sha256) == (data["nlu"], data["domain"], data["stories"])
    assert info.code_version == code_version() and info.size_bytes == (tmp_path / "v1.tar.gz").stat().st_size
    assert info.report["by_language"]["zh"]["intent_accuracy"] == 0.90 and "evaluated_at" in info.report
    assert info.trained_at.tzinfo is not None
    with pytest.raises(RegistryError, match="already registered"):
        fake_version(any_engine, tmp_path, "v1")
    assert registry.serving_model(any_engine) is None

    registry.attach_conversation_results(any_engine, "v1", passed=9, failed=1)
    assert registry.get_version(any_engine, "v1").report["conversation_suite"]["failed"] == 1
    refused = registry.promote(any_engine, "v1", by="retrain")
    assert not refused.promoted and refused.decision.reasons == ["conversation tests: 9 passed, 1 failed"]


def test_promotions_and_rollbacks_keep_exactly_one_serving_version(any_engine, tmp_path):
    v1 = fake_version(any_engine, tmp_path, "v1")
    v2 = fake_version(any_engine, tmp_path, "v2", accuracy=0.92)
    v3 = fake_version(any_engine, tmp_path, "v3", accuracy=0.80)  # worse: refused
    v4 = fake_version(any_engine, tmp_path, "v4", accuracy=0.93)

    first = registry.promote_if_nothing_serving(any_engine, "v1", by="setup")
    assert first.promoted and registry.serving_model(any_engine) == v1.path
    assert registry.promote_if_nothing_serving(any_engine, "v2", by="setup") is None  # v1 serves already

    assert registry.promote(any_engine, "v2", by="alice", reason="weekly retrain").promoted
    refused = registry.promote(any_engine, "v3", by="cron")
    assert not refused.promoted and refused.previous_version == "v2"
    assert registry.get_version(any_engine, "v3").status == "refused"
    assert any("accuracy zh drops" in reason for reason in refused.decision.reasons)
    # the serving model measured again now (same machine load): v4 is slower than that, past both limits
    slow_now = registry.promote(any_engine, "v4", by="alice", serving_report=synthetic_report(accuracy=0.92, p95=4.0))
    assert not slow_now.promoted and failed_checks(slow_now.decision) == {("latency_p95", "all")}
    assert registry.promote(any_engine, "v4", by="alice").promoted  # against v2's stored report (p95 10 ms)
    assert serving_names(any_engine) == ["v4"]
    assert registry.get_version(any_engine, "v1").status == "retired"

    # rollback walks back through what actually served: v4 -> v2 -> v1, never the refused v3
    assert registry.rollback(any_engine, by="bob", reason="complaints").version == "v2"
    assert serving_names(any_engine) == ["v2"] and registry.serving_model(any_engine) == v2.path
    assert registry.rollback(any_engine, by="bob").version == "v1"
    with pytest.raises(RegistryError, match="no earlier serving version"):
        registry.rollback(any_engine, by="bob")
    assert serving_names(any_engine) == ["v1"]

    # the history says who, when, why, with the gate's reasons
    history = registry.decisions(any_engine)
    assert [(d.action, d.version, d.previous_version) for d in history] == [
        ("promote", "v1", None), ("promote", "v2", "v1"), ("refuse", "v3", "v2"), ("refuse", "v4", "v2"),
        ("promote", "v4", "v2"),
        ("rollback", "v2", "v4"), ("rollback", "v1", "v2")]
    assert history[1].decided_by == "alice" and history[1].reason == "weekly retrain"
    assert history[2].gate["promote"] is False and history[2].gate["reasons"]
    assert history[5].reason == "complaints" and all(d.decided_at.tzinfo for d in history)

    # forcing the refused version over the gate is allowed, and recorded as forced
    forced = registry.promote(any_engine, "v3", by="carol", reason="hotfix for a demo", force=True)
    assert forced.promoted and forced.forced and serving_names(any_engine) == ["v3"]
    assert registry.decisions(any_engine, "v3")[-1].forced
    with pytest.raises(RegistryError, match="already serving"):
        registry.promote(any_engine, "v3")
    assert v3.version == registry.get_version(any_engine, "serving").version


def test_the_database_refuses_a_second_serving_version(any_engine, tmp_path):
    fake_version(any_engine, tmp_path, "v1")
    fake_version(any_engine, tmp_path, "v2")
    registry.promote(any_engine, "v1", by="test")
    with pytest.raises(IntegrityError):
        with any_engine.begin() as connection:
            connection.execute(update(registry.VERSIONS).where(registry.VERSIONS.c.version == "v2")
                               .values(status="serving"))
    assert serving_names(any_engine) == ["v1"]


def test_concurrent_promotions_queue_and_leave_one_serving_version(any_engine, tmp_path):
    names = [f"v{i}" for i in range(6)]
    for name in names:
        fake_version(any_engine, tmp_path, name)
    errors = []

    def promote(name):
        try:
            registry.promote(any_engine, name, by=f"worker-{name}", force=True)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=promote, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    history = registry.decisions(any_engine)
    assert len(history) == 6 and serving_names(any_engine) == [history[-1].version]
    # serialised: each promotion replaced exactly the one before it
    assert [d.previous_version for d in history] == [None] + [d.version for d in history[:-1]]


def test_a_missing_archive_is_never_served(any_engine, tmp_path):
    info = fake_version(any_engine, tmp_path, "v1")
    info.path.unlink()
    with pytest.raises(RegistryError, match="archive of v1 is missing"):
        registry.promote(any_engine, "v1")
    assert registry.serving_model(any_engine) is None


# --------------------------------------------------------------------------- a real model, through the CLI


@pytest.fixture(scope="module")
def registry_home(tmp_path_factory, ci_model):
    """A data dir whose models/ holds the ci model, registered by `finbot train --if-stale`."""
    from api.cli import main

    home = tmp_path_factory.mktemp("registry-home")
    (home / "models").mkdir()
    shutil.copy(ci_model, home / "models" / "ci.tar.gz")
    sidecar = ci_model.with_name(ci_model.name[: -len(".tar.gz")] + ".json")
    meta = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.exists() else {"config": "bot/configs/ci.yml"}
    # The checkout is shared and its training inputs may change while the tests run: declare the
    # copy up to date, so `--if-stale` adopts it (the path under test) instead of training again.
    meta["fingerprint"] = training_fingerprint(config_path("ci"))
    (home / "models" / "ci.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    database_url = f"sqlite:///{home / 'finbot.db'}"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("FINBOT_DATA_DIR", str(home))
        env.setenv("DATABASE_URL", database_url)
        started = time.perf_counter()
        assert main(["train", "--config", "ci", "--if-stale"]) == 0
        print(f"\nadopting the ci model (held-out evaluation) took {time.perf_counter() - started:.1f} s")
    return home, database_url


def copy_database(source: Path, target: Path) -> None:
    """An SQLite file and its write-ahead log (rows not yet checkpointed live there)."""
    shutil.copy(source, target)
    wal = source.with_name(source.name + "-wal")
    if wal.exists():
        shutil.copy(wal, target.with_name(target.name + "-wal"))


@pytest.fixture
def cli(registry_home, tmp_path, monkeypatch, capsys):
    """Run `finbot ...` in-process on a private copy of the registry database; returns (exit code, stdout)."""
    from api.cli import main

    home, _ = registry_home
    copy_database(home / "finbot.db", tmp_path / "finbot.db")
    monkeypatch.setenv("FINBOT_DATA_DIR", str(home))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'finbot.db'}")

    def run(*argv):
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    run.engine = lambda: open_database(f"sqlite:///{tmp_path / 'finbot.db'}")
    return run


def test_finbot_train_registers_the_model_and_serves_the_first_one(registry_home, ci_model):
    home, database_url = registry_home
    engine = open_database(database_url)
    info = registry.get_version(engine, "ci")
    assert info.status == "serving" and info.source == "train"
    assert registry.serving_model(engine) == (home / "models" / "ci.tar.gz").resolve()
    assert info.size_bytes == ci_model.stat().st_size and info.config_name == "bot/configs/ci.yml"
    report = info.report
    assert set(report["by_language"]) == set(LANGS)
    for lang in LANGS:
        scores = report["by_language"][lang]
        assert scores["examples"] > 100 and 0.5 < scores["intent_accuracy"] <= 1.0
        assert 0 < scores["intent_macro_f1"] <= 1 and scores["per_intent_f1"]["check_balance"] > 0.5
    assert sum(sum(row.values()) for row in report["confusion"].values()) == sum(
        s["examples"] for s in report["by_language"].values())
    assert 0 < report["latency_ms_p50"] <= report["latency_ms_p95"]
    (decision,) = registry.decisions(engine)
    assert decision.action == "promote" and decision.decided_by == "finbot train"
    assert "nothing to compare with" in decision.reason
    # registering again finds the row instead of evaluating twice
    assert registry.ensure_registered(engine, home / "models" / "ci.tar.gz", source="train").version == "ci"
    print(f"\nci model held-out: " + ", ".join(
        f"{lang} acc {report['by_language'][lang]['intent_accuracy']:.3f}" for lang in LANGS)
        + f"; parse p50 {report['latency_ms_p50']:.1f} ms, p95 {report['latency_ms_p95']:.1f} ms")


def test_models_list_show_and_html_report(cli, tmp_path):
    code, out = cli("models", "list")
    assert code == 0 and re.search(r"^\* ci\s+serving\s+train", out, re.M)
    code, out = cli("models", "show", "serving")
    assert code == 0
    assert "model version ci  [serving]" in out and "held-out evaluation" in out
    for expected in ("zh ", "en ", "mixed ", "parse latency per message", "per-intent F1:", "check_balance",
                     "promotion history:", "by finbot train"):
        assert expected in out
    code, out = cli("models", "show", "nope")
    assert code == 2 and "no model version 'nope'" in out

    page_file = tmp_path / "ci.html"
    code, out = cli("models", "report", "ci", "--html", str(page_file))
    assert code == 0
    page = page_file.read_text(encoding="utf-8")
    images = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", page)
    assert len(images) == 3  # accuracy vs latency, per-intent F1, confusion matrix
    assert all(base64.b64decode(image)[:8] == b"\x89PNG\r\n\x1a\n" for image in images)
    for expected in ("confusion matrix", "Per-intent F1", "Accuracy against latency", "Held-out evaluation",
                     "FinbotTFIntentClassifier", "class='status serving'"):
        assert expected in page


def test_models_compare_promote_and_rollback_commands(cli, tmp_path):
    engine = cli.engine()
    # a second version with the same scores but slower parsing past both limits: the gate refuses it
    slow = registry.get_version(engine, "ci").report
    slow = {**slow, "latency_ms_p95": slow["latency_ms_p95"] * 2 + 10}
    archive = tmp_path / "slow.tar.gz"
    shutil.copy(registry.get_version(engine, "ci").path, archive)
    registry.register_model(engine, archive, source="test", config_file=config_path("ci"), report=slow)

    code, out = cli("models", "compare", "ci", "slow")
    assert code == 0 and "gate, if B replaced A: REFUSE" in out and "parse latency p95" in out
    code, out = cli("models", "promote", "slow", "--by", "tester")
    assert code == 1 and "refused by the gate; ci keeps serving" in out
    assert registry.serving_model(engine) == registry.get_version(engine, "ci").path
    code, out = cli("models", "promote", "slow", "--force", "--reason", "accept the latency", "--by", "tester")
    assert code == 0 and "FORCED" in out and registry.get_version(engine, "serving").version == "slow"
    code, out = cli("models", "rollback", "--by", "tester")
    assert code == 0 and "ci serves again (replacing slow)" in out
    assert serving_names(engine) == ["ci"]
    code, out = cli("models", "show", "slow")
    assert "refused (serving stays ci)" in out and "FORCED over the gate" in out and "rolled back from slow to ci" in out


# --------------------------------------------------------------------------- a worse candidate, trained (slow)


@pytest.fixture(scope="module")
def worse_candidate(registry_home, tmp_path_factory):
    """The ci config with one epoch for our intent classifier, trained and registered against the ci model."""
    import yaml

    from bot.training import train_model

    home, database_url = registry_home
    work = tmp_path_factory.mktemp("worse")
    copy_database(home / "finbot.db", work / "finbot.db")
    engine = open_database(f"sqlite:///{work / 'finbot.db'}")
    config = yaml.safe_load(config_path("ci").read_text(encoding="utf-8"))
    for step in config["pipeline"]:
        if step["name"].endswith("FinbotTFIntentClassifier"):
            step["epochs"] = 1
    worse_config = work / "ci_one_epoch.yml"
    worse_config.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    started = time.perf_counter()
    trained = train_model(work / "models", config=str(worse_config), engine=engine, source="test")
    total = time.perf_counter() - started
    print(f"\nworse candidate: trained in {trained.seconds:.1f} s, trained + evaluated + registered in {total:.1f} s")
    return engine, trained, work


@pytest.mark.slow
def test_training_with_an_engine_registers_the_run(worse_candidate):
    engine, trained, work = worse_candidate
    info = registry.get_version(engine, trained.version)
    assert trained.version == trained.path.name[: -len(".tar.gz")] and info.path == trained.path.resolve()
    assert info.status == "candidate" and info.source == "test"
    assert info.config_name.endswith("ci_one_epoch.yml") and "epochs: 1" in info.config_text
    assert info.training_seconds == pytest.approx(trained.seconds)
    assert info.size_bytes == trained.path.stat().st_size and set(info.report["by_language"]) == set(LANGS)
    with pytest.raises(ValueError, match="already registered"):  # checked before any training starts
        from bot.training import train_model

        train_model(work / "models", config="ci", name=trained.version, engine=engine)


@pytest.mark.slow
def test_gate_refuses_the_worse_candidate_with_reasons(worse_candidate):
    engine, trained, _ = worse_candidate
    serving, candidate = registry.get_version(engine, "ci"), registry.get_version(engine, trained.version)
    print("\nheld-out accuracy, ci / ci with one epoch: " + ", ".join(
        f"{lang} {serving.language_scores()[lang]['intent_accuracy']:.3f} / "
        f"{candidate.language_scores()[lang]['intent_accuracy']:.3f}" for lang in LANGS))
    assert candidate.overall_accuracy() < serving.overall_accuracy() - 0.05  # it really is worse
    result = registry.promote(engine, trained.version, by="retrain")
    assert not result.promoted and registry.serving_model(engine) == serving.path
    assert registry.get_version(engine, trained.version).status == "refused"
    failed = {c.name for c in result.decision.checks if not c.passed}
    assert {"accuracy", "macro_f1"} <= failed
    assert any(re.match(r"accuracy (zh|en|mixed) drops", reason) for reason in result.decision.reasons)
    assert registry.decisions(engine)[-1].gate["reasons"] == result.decision.reasons


@pytest.mark.slow
def test_training_writes_tensorboard_scalars_for_every_classifier(worse_candidate):
    _, trained, work = worse_candidate
    log_root = work / "tensorboard" / trained.version
    info_dir = Path(registry.get_version(worse_candidate[0], trained.version).tensorboard_dir)
    assert info_dir == log_root.resolve()
    ours = epoch_scalars(next(log_root.glob("pipeline-*-FinbotTFIntentClassifier")))
    assert ours["epoch_loss"] == 1 and ours["epoch_accuracy"] == 1  # one epoch, one value each
    selector = epoch_scalars(next(log_root.glob("pipeline-*-ResponseSelector_faq")))
    assert any("loss" in tag and count == 15 for tag, count in selector.items()), selector


def epoch_scalars(log_dir: Path) -> dict:
    """tag -> number of values, over every event file under log_dir."""
    import tensorflow as tf
    from tensorflow.core.util import event_pb2

    counts: dict = {}
    for events_file in log_dir.rglob("events.out.tfevents.*"):
        for record in tf.data.TFRecordDataset(str(events_file)):
            for value in event_pb2.Event.FromString(record.numpy()).summary.value:
                if value.tag.startswith("epoch_"):
                    counts[value.tag] = counts.get(value.tag, 0) + 1
    return counts


def test_an_installation_can_set_its_own_gate_thresholds(tmp_path, monkeypatch):
    shipped = GatePolicy.load()
    own = tmp_path / "policy.yml"
    own.write_text("accuracy_max_drop_points: 0.2\nentity_f1_max_drop_points: 1.0\n", encoding="utf-8")
    monkeypatch.setenv("FINBOT_PROMOTION_POLICY", str(own))
    policy = GatePolicy.load()
    assert (policy.accuracy_max_drop_points, policy.entity_f1_max_drop_points) == (0.2, 1.0)
    assert policy.latency_p95_max_growth_ms == shipped.latency_p95_max_growth_ms   # the rest: defaults
    own.write_text("accuracy_drop: 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown promotion policy keys.*accuracy_drop"):
        GatePolicy.load()
