"""`finbot tune`: the search space, the generated configs, the storage, and real tiny studies.

The studies train real Rasa NLU models on a small subset of the training data
(4 intents x 3 languages x 8 examples) with our classifier and the rule-based
entity parsers (architecture finbot_tf_rules: no DIET, whose graph building
alone takes 30-50 s per model), on real SQLite storage in a temp folder.
"""
from __future__ import annotations

import json
import os
import socket
import uuid
from collections import defaultdict

import pytest
import yaml
from sqlalchemy import create_engine, inspect, text

from bot.tuning.pipeline import DIET, OURS, ensemble_of, rasa_config, read_template, stack_of
from bot.tuning.search_space import ARCHITECTURES, SearchSpaceError, load_search_space, parse_search_space
from bot.tuning.study import (TuningError, data_fingerprint, open_storage, open_study, tune,
                              tuning_storage_url)
from recommender.store.db import current_revision, head_revision, migrate

TINY_INTENTS = ("greet", "thank", "check_balance", "ask_spending")


def tiny_space(**overrides):
    raw = {
        "cross_validation": {"folds": 2, "latency_sample": 20},
        "pruner": {"startup_trials": 2},
        "sampler": {"startup_trials": 2},
        "architecture": "finbot_tf_rules",
        "featurizer": {"min_ngram": 1, "max_ngram": 3},
        "finbot_tf": {"epochs": {"low": 1, "high": 24}, "encoder": "cnn", "char_filters": 16, "word_filters": 16,
                      "learning_rate": 0.005, "random_seed": 42},
        **overrides,
    }
    return parse_search_space(raw, "tiny.yml")


@pytest.fixture(scope="module")
def tiny_pairs():
    """A small, fixed subset of the *training* data: (Message, language) pairs."""
    from bot.evaluation import training_examples

    grouped = defaultdict(list)
    for message, language in training_examples():
        if message.get("intent") in TINY_INTENTS:
            grouped[(message.get("intent"), language)].append((message, language))
    return [pair for key in sorted(grouped) for pair in grouped[key][:8]]


# --------------------------------------------------------------------------- the search space


def test_the_shipped_search_space_is_valid_and_covers_what_the_issue_names():
    space = load_search_space()
    assert set(space.architecture.choices) == set(ARCHITECTURES)
    assert set(space.featurizer) == {"min_ngram", "max_ngram"}
    assert {"epochs", "transformer_size", "number_of_transformer_layers", "learning_rate",
            "drop_rate"} <= set(space.diet)
    assert {"encoder", "units", "epochs", "learning_rate", "dropout", "char_embedding_dim",
            "word_embedding_dim"} <= set(space.finbot_tf)
    from bot.components.tf_intent_classifier import ENCODERS

    assert set(space.finbot_tf["encoder"].choices) == set(ENCODERS)
    assert space.ensemble_weight is not None and space.ensemble_weight.searched
    read_template(space.template)   # the template has what tuning adjusts


@pytest.mark.parametrize("raw, message", [
    ({"diet": {"epochs": {"low": 30, "high": 10}}}, "diet.epochs: low (30) must be below high (10)"),
    ({"diet": {"epochs": {"low": 10, "high": 10}}}, "to fix a value, write it plainly"),
    ({"diet": {"epoch": {"low": 1, "high": 5}}}, "diet.epoch is not a config key of that component"),
    ({"diet": {"intent_classification": False}}, "diet.intent_classification is not a config key"),
    ({"finbot_tf": {"encoder": {"choices": ["cnn", "transformer"]}}},
     "finbot_tf.encoder 'transformer' is not supported by FinbotTFIntentClassifier (it supports cnn, gru, lstm)"),
    ({"finbot_tf": {"dropout": {"low": 0.2, "high": 1.5}}}, "finbot_tf.dropout must be in [0, 1), not 1.5"),
    ({"finbot_tf": {"units": {"low": 0, "high": 64}}}, "finbot_tf.units must be a positive integer, not 0"),
    ({"finbot_tf": {"learning_rate": {"low": 0, "high": 0.01, "log": True}}}, "a log range needs low > 0"),
    ({"finbot_tf": {"epochs": {"low": 8, "high": 30, "step": 4}}}, "is not a whole number of steps of 4"),
    ({"finbot_tf": {"epochs": {"low": 8}}}, "a range needs both low and high"),
    ({"finbot_tf": {"word_kernel_sizes": {"choices": [[1, 2], [2, 3]]}}}, "choices must be plain values"),
    ({"featurizer": {"min_ngram": {"low": 1, "high": 4}, "max_ngram": {"low": 3, "high": 5}}},
     "every min_ngram must be <= every max_ngram"),
    ({"diet": {"transformer_size": {"choices": [64, 130]}}},
     "diet.transformer_size 130 is not a multiple of number_of_attention_heads 4"),
    ({"ensemble": {"weight": {"low": 0.0, "high": 1.5}}}, "ensemble.weight must be in (0, 1]"),
    ({"architecture": {"choices": ["diet", "bert"]}}, "architecture 'bert' is not one of"),
    ({"cross_validation": {"folds": 1}}, "cross_validation.folds must be at least 2, not 1"),
    ({"objective": {"entity_weight": 1.0}}, "objective.entity_weight must be below 1"),
    ({"objective": {"latency_budget": 20}}, "unknown setting objective.latency_budget"),
    ({"trials": 20}, "unknown section 'trials'"),
    ({"template": "bot/configs/nope.yml"}, "template 'bot/configs/nope.yml': no such config"),
])
def test_a_bad_search_space_is_rejected_with_a_clear_message(raw, message):
    with pytest.raises(SearchSpaceError) as error:
        parse_search_space(raw, "space.yml")
    assert message in str(error.value), str(error.value)


def test_every_problem_is_reported_at_once(tmp_path):
    space_file = tmp_path / "space.yml"
    space_file.write_text("diet:\n  epochs: {low: 9, high: 3}\nfinbot_tf:\n  encoder: {choices: [rnn]}\n")
    with pytest.raises(SearchSpaceError) as error:
        load_search_space(space_file)
    assert len(error.value.problems) == 2
    assert str(space_file) in str(error.value)


def test_unreadable_yaml_is_a_search_space_error(tmp_path):
    space_file = tmp_path / "space.yml"
    space_file.write_text("diet: [unclosed\n")
    with pytest.raises(SearchSpaceError, match="cannot read the file"):
        load_search_space(space_file)


# --------------------------------------------------------------------------- configs from designs


def _design(architecture, **ours):
    return {"architecture": architecture, "featurizer": {"min_ngram": 2, "max_ngram": 4},
            "diet": {} if architecture == "finbot_tf_rules" else {"epochs": 15, "transformer_size": 64},
            "finbot_tf": {} if architecture == "diet" else {"encoder": "gru", "units": 32, "epochs": 12, **ours},
            "ensemble_weight": 0.7 if architecture == "ensemble" else None}


def _named(config, name):
    return [c for c in config["pipeline"] if c["name"] == name]


@pytest.fixture(scope="module")
def template():
    return read_template(load_search_space().template)


def test_each_architecture_becomes_the_pipeline_it_names(template):
    diet = rasa_config(template, stack_of(_design("diet")), for_trial=False)
    assert _named(diet, DIET)[0]["epochs"] == 15 and "intent_classification" not in _named(diet, DIET)[0]
    assert _named(diet, DIET)[0].get("ranking_length") is None and not _named(diet, OURS)

    ours = rasa_config(template, stack_of(_design("finbot_tf")), for_trial=False)
    assert _named(ours, DIET)[0]["intent_classification"] is False and _named(ours, DIET)[0]["entity_recognition"]
    assert _named(ours, OURS)[0]["encoder"] == "gru" and "ensemble_weight" not in _named(ours, OURS)[0]

    rules = rasa_config(template, stack_of(_design("finbot_tf_rules")), for_trial=False)
    assert not _named(rules, DIET) and len(_named(rules, OURS)) == 1

    blend = rasa_config(template, stack_of(_design("ensemble")), for_trial=False)
    assert _named(blend, DIET)[0]["ranking_length"] == 0      # ours blends with DIET's whole ranking
    assert _named(blend, OURS)[0]["ensemble_weight"] == 0.7

    char = [c for c in blend["pipeline"] if c.get("analyzer") == "char_wb"][0]
    assert (char["min_ngram"], char["max_ngram"]) == (2, 4)
    # written configs keep what trials leave out
    assert _named(blend, "ResponseSelector") and blend["policies"] == template["policies"]
    names = [c["name"] for c in blend["pipeline"]]
    assert names.index(DIET) < names.index(OURS) < names.index("FallbackClassifier")


def test_a_trial_config_is_nlu_only_without_the_response_selector(template):
    trial = rasa_config(template, stack_of(_design("ensemble")), for_trial=True)
    assert not _named(trial, "ResponseSelector") and "policies" not in trial
    assert _named(trial, "FallbackClassifier")   # a declined message counts as wrong, as in `finbot compare`


def test_the_ensemble_of_the_two_best_blends_what_one_pipeline_can(template):
    stack, _ = ensemble_of(_design("finbot_tf", epochs=20), _design("diet"))
    config = rasa_config(template, stack, for_trial=False)
    assert _named(config, DIET)[0]["ranking_length"] == 0 and _named(config, OURS)[0]["ensemble_weight"] == 0.5
    assert _named(config, OURS)[0]["epochs"] == 20

    stack, _ = ensemble_of(_design("finbot_tf_rules", epochs=20), _design("finbot_tf", epochs=10))
    config = rasa_config(template, stack, for_trial=False)
    first, second = _named(config, OURS)
    assert not _named(config, DIET)                              # entities as in the better trial: rules
    assert first["epochs"] == 20 and first["ranking_length"] == 0 and "ensemble_weight" not in first
    assert second["epochs"] == 10 and second["ensemble_weight"] == 0.5

    other_diet = {**_design("diet"), "diet": {"epochs": 25, "transformer_size": 128}}
    for pair, reason in [((_design("diet"), other_diet), "two DIETs cannot be blended"),
                         ((_design("ensemble"), _design("diet")), "already an ensemble"),
                         ((_design("finbot_tf"), _design("finbot_tf")), "the same configuration")]:
        stack, why = ensemble_of(*pair)
        assert stack is None and reason in why


# --------------------------------------------------------------------------- storage


def test_the_study_storage_is_derived_from_the_database_url(tmp_path):
    assert tuning_storage_url(f"sqlite:///{tmp_path}/finbot.db") == f"sqlite:///{tmp_path}/finbot-tuning.db"
    assert tuning_storage_url("sqlite:///x.db", "sqlite:///elsewhere.db") == "sqlite:///elsewhere.db"
    assert tuning_storage_url("postgresql://u:secret@db:5432/finbot") == "postgresql://u:secret@db:5432/finbot"
    with pytest.raises(TuningError, match="in-memory"):
        tuning_storage_url("sqlite://")


def test_finbots_own_sqlite_file_is_refused_as_study_storage(engine, sqlite_url):
    with pytest.raises(TuningError, match="finbot's own database"):
        open_storage(sqlite_url)
    assert current_revision(engine) == head_revision()


def test_optuna_tables_live_beside_ours_on_postgresql_without_touching_our_migrations(pg_engine, pg_url):
    """Optuna's alembic_version would collide with ours: its tables get a schema of their own."""
    import optuna

    schema = f"optuna_test_{uuid.uuid4().hex[:10]}"
    storage = open_storage(pg_url, schema=schema)
    try:
        study = optuna.create_study(study_name="probe", storage=storage, direction="maximize")
        trial = study.ask()
        trial.suggest_int("x", 1, 3)
        study.tell(trial, 0.5)
        assert optuna.load_study(study_name="probe", storage=storage).best_value == 0.5

        assert current_revision(pg_engine) == head_revision()          # our schema's version untouched
        migrate(pg_engine)                                              # and our migrations still run
        with pg_engine.connect() as connection:
            ours = set(inspect(connection).get_table_names())
            theirs = set(inspect(connection).get_table_names(schema=schema))
            optuna_version = connection.execute(text(f'SELECT version_num FROM "{schema}".alembic_version')).scalar()
        assert {"studies", "trials", "trial_values"} <= theirs and "customers" not in theirs
        assert "customers" in ours and "studies" not in ours
        assert optuna_version.startswith("v")                           # Optuna's own revision, in its own schema
    finally:
        storage.engine.dispose()
        admin = create_engine(pg_url, future=True)
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


# --------------------------------------------------------------------------- real tiny studies


GOOD = {"finbot_tf.epochs": 24}
ALSO_GOOD = {"finbot_tf.epochs": 20}
HOPELESS = {"finbot_tf.epochs": 1}     # one epoch: near-chance after the first fold


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory, tiny_pairs):
    """Three trials: two sound ones, then a hopeless one the median pruner must stop after fold 1."""
    folder = tmp_path_factory.mktemp("tuning")
    storage_url = f"sqlite:///{folder / 'study.db'}"
    lines = []
    result = tune(tiny_space(), trials=3, budget_minutes=20, storage_url=storage_url, study_name="tiny",
                  out_dir=folder / "configs", pairs=tiny_pairs, enqueue=(GOOD, ALSO_GOOD, HOPELESS), log=lines.append,
                  tensorboard_dir=folder / "tensorboard")
    return result, folder, storage_url, lines


def test_a_tiny_study_runs_end_to_end_and_writes_the_tuned_config(tiny_study, tiny_pairs):
    from bot.tuning.report import render, to_json

    result, folder, _, lines = tiny_study
    trials = result.study.get_trials()
    assert [t.state.name for t in trials] == ["COMPLETE", "COMPLETE", "PRUNED"]
    assert len(lines) >= 3 and lines[0].startswith("trial   0")
    best = result.study.best_trial
    assert best.number in (0, 1)
    scores = best.user_attrs["scores"]
    assert set(scores["accuracy"]) == {"zh", "en", "mixed"}
    assert scores["examples"] == len(tiny_pairs)                        # every training example scored once
    assert scores["intent_macro_f1"] > 0.5 and scores["p95_ms"] > 0

    tuned = yaml.safe_load((folder / "configs" / "tuned.yml").read_text(encoding="utf-8"))
    ours = _named(tuned, OURS)
    assert len(ours) == 1 and ours[0]["epochs"] == best.params["finbot_tf.epochs"]
    assert not _named(tuned, DIET) and _named(tuned, "ResponseSelector") and tuned["policies"]
    assert (folder / "configs" / "tuned.yml").read_text(encoding="utf-8").startswith("# Written by `finbot tune`")
    assert result.chosen in result.written

    report = render(result)
    assert "pruned@1" in report and "Pareto front" in report and "chosen configuration: " in report
    if result.chosen == "tuned_ensemble":   # the blend of the two best cross-validated better
        first, second = result.ensemble.members
        assert f"chosen configuration: tuned_ensemble = ensemble of trials {first} and {second}" in report
    else:
        assert f"chosen configuration: tuned = trial {best.number} (" in report
    data = json.loads(to_json(result))
    assert [t["state"] for t in data["trials"]] == ["complete", "complete", "pruned"]
    runs = sorted(p.name for p in (folder / "tensorboard" / "tuning" / "tiny").iterdir())
    assert runs == ["trial-000", "trial-001", "trial-002"]          # every trial, the pruned one too
    assert data["pareto_front"] and data["chosen"] == result.chosen


def test_a_clearly_worse_trial_is_pruned_after_its_first_fold(tiny_study):
    result, *_ = tiny_study
    hopeless = result.study.get_trials()[2]
    assert hopeless.params["finbot_tf.epochs"] == 1
    assert hopeless.state.name == "PRUNED" and hopeless.user_attrs["note"] == "pruned"
    assert hopeless.user_attrs["folds_done"] == 1 and list(hopeless.intermediate_values) == [0]
    completed = [t for t in result.study.get_trials() if t.state.name == "COMPLETE"]
    assert all(hopeless.intermediate_values[0] < t.intermediate_values[0] for t in completed)


@pytest.mark.slow(reason="uses the tiny study and runs one more trial (about 2 minutes)")
def test_the_study_resumes_from_storage(tiny_study, tiny_pairs):
    result, folder, storage_url, _ = tiny_study
    again = tune(tiny_space(), trials=1, budget_minutes=10, storage_url=storage_url, study_name="tiny",
                 out_dir=folder / "configs-again", pairs=tiny_pairs, log=lambda line: None)
    trials = again.study.get_trials()
    assert len(trials) == 4 and again.trials_run == [3]
    assert [t.state.name for t in trials[:3]] == ["COMPLETE", "COMPLETE", "PRUNED"]   # the first run's, kept

    report_only = tune(tiny_space(), trials=0, budget_minutes=10, storage_url=storage_url, study_name="tiny",
                       out_dir=folder / "configs-report", pairs=tiny_pairs, log=lambda line: None,
                       evaluate_ensemble=False)                         # `finbot tune --trials 0`
    assert report_only.trials_run == [] and len(report_only.study.get_trials()) == 4
    assert report_only.chosen and (folder / "configs-report" / "tuned.yml").exists()

    other_data = tiny_pairs[: len(tiny_pairs) // 2]
    with pytest.raises(TuningError, match="other training data"):
        open_study("tiny", open_storage(storage_url), tiny_space(), data_fingerprint(other_data, tiny_space()))


def test_two_workers_share_the_trial_quota_and_run_trials_side_by_side(tmp_path, tiny_pairs):
    """`finbot tune --workers 2`: this process and a spawned one ask the same study; the quota of 3 holds."""
    lines = []
    result = tune(tiny_space(finbot_tf={"epochs": {"low": 6, "high": 12}, "encoder": "cnn", "char_filters": 16,
                                        "word_filters": 16, "random_seed": 42}),
                  trials=3, budget_minutes=20, storage_url=f"sqlite:///{tmp_path / 's.db'}", study_name="pair",
                  out_dir=tmp_path / "configs", pairs=tiny_pairs, log=lines.append, workers=2)
    trials = result.study.get_trials()
    assert len(trials) == 3 and result.trials_run == [0, 1, 2] and not result.stopped_by_budget
    assert {t.state.name for t in trials} <= {"COMPLETE", "PRUNED"}
    workers = {t.user_attrs["worker"] for t in trials}
    assert len(workers) == 2, workers      # both processes ran trials (each trial takes far longer than a spawn)
    assert f"{socket.gethostname()}:{os.getpid()}" in workers
    assert lines[0].startswith("2 workers: this process and 1 spawned")
    assert result.chosen and (tmp_path / "configs" / "tuned.yml").exists()


def test_the_time_budget_stops_the_study_cleanly(tmp_path, tiny_pairs):
    """A budget of one second: the first trial stops after its first fold, no further trial starts."""
    result = tune(tiny_space(), trials=5, budget_minutes=1 / 60, storage_url=f"sqlite:///{tmp_path / 's.db'}",
                  out_dir=tmp_path / "configs", pairs=tiny_pairs, log=lambda line: None)
    trials = result.study.get_trials()
    # no --study: named after the data, so the same data resumes and changed data starts anew
    assert result.study.study_name == f"finbot-nlu-{data_fingerprint(tiny_pairs, tiny_space())[:8]}"
    assert result.stopped_by_budget and len(trials) == 1
    assert trials[0].state.name == "PRUNED" and trials[0].user_attrs["note"] == "budget"
    assert result.chosen is None and not (tmp_path / "configs").exists()   # nothing complete, nothing written


def test_batch_parsing_gives_the_same_intents_as_one_message_at_a_time(tmp_path, tiny_pairs):
    from pathlib import Path

    from rasa.model_training import train_nlu
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.evaluation import parse_all, parse_batch
    from bot.training import DOMAIN

    space = tiny_space()
    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump(rasa_config(read_template(space.template), stack_of(
        {"architecture": "finbot_tf_rules", "featurizer": {}, "diet": {}, "finbot_tf": {"epochs": 10}}),
        for_trial=True)))
    data = tmp_path / "nlu.yml"
    data.write_text(RasaYAMLWriter().dumps(TrainingData([m for m, _ in tiny_pairs[::2]])), encoding="utf-8")
    model = Path(train_nlu(config=str(config), nlu_data=str(data), output=str(tmp_path), domain=str(DOMAIN)))
    texts = [m.get("text") for m, _ in tiny_pairs[1::2]] + ["我想买20000元的基金", "how much did I spend in May?"]
    batch, timed = parse_batch(model, texts, texts[:3])
    single, _ = parse_all(model, texts)
    assert len(timed) == 3 and all(ms > 0 for ms in timed)
    for one, many in zip(single, batch):
        assert one["intent"]["name"].split("/")[0] == many["intent"]["name"].split("/")[0]
        assert one["intent"]["confidence"] == pytest.approx(many["intent"]["confidence"], abs=1e-4)
        assert [(e["entity"], e["start"], e["end"]) for e in one["entities"]] == \
            [(e["entity"], e["start"], e["end"]) for e in many["entities"]]


# --------------------------------------------------------------------------- the command


def test_finbot_tune_check_validates_the_space_and_the_storage(tmp_path, monkeypatch, capsys):
    from api.cli import main

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'finbot.db'}")
    monkeypatch.setenv("FINBOT_DATA_DIR", str(tmp_path))
    assert main(["tune", "--check"]) == 0
    out = capsys.readouterr().out
    assert "finbot_tf.encoder: cnn | gru | lstm" in out and "finbot-tuning.db" in out

    bad = tmp_path / "bad.yml"
    bad.write_text("diet:\n  epochs: {low: 40, high: 10}\n")
    assert main(["tune", "--check", "--space", str(bad)]) == 2
    assert "diet.epochs: low (40) must be below high (10)" in capsys.readouterr().out
    assert os.path.exists(tmp_path / "finbot-tuning.db") and not os.path.exists(tmp_path / "finbot.db")


@pytest.mark.slow(reason="starts `finbot tune` on the real training data and stops it mid-trial (about a minute)")
def test_sigterm_stops_finbot_tune_and_records_the_running_trial_as_failed(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    import optuna

    storage_url = f"sqlite:///{tmp_path / 'study.db'}"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'finbot.db'}", "FINBOT_DATA_DIR": str(tmp_path),
           "RASA_TELEMETRY_ENABLED": "false"}
    process = subprocess.Popen([sys.executable, "-m", "api.cli", "tune", "--trials", "3", "--budget", "30",
                                "--study", "stopped", "--storage", storage_url, "--out-dir", str(tmp_path / "configs"),
                                "--no-register"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 240
        while time.time() < deadline:
            time.sleep(2)
            try:
                trials = optuna.load_study(study_name="stopped", storage=storage_url).get_trials()
            except KeyError:      # the study is not created yet
                continue
            if trials and trials[0].state.name == "RUNNING":
                break
        else:
            pytest.fail("the first trial never started")
        time.sleep(3)             # inside the fold's training
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=120)[0].decode(errors="replace")
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, output[-2000:]
    assert "interrupted: the running trial is recorded as failed" in output
    trial = optuna.load_study(study_name="stopped", storage=storage_url).get_trials()[0]
    assert trial.state.name == "FAIL" and trial.user_attrs["note"] == "interrupted"
    assert not (tmp_path / "configs").exists()


def _events(folder):
    import tensorflow as tf

    events = []
    for path in sorted(folder.glob("events.out.tfevents.*")):
        events += list(tf.compat.v1.train.summary_iterator(str(path)))
    return events


def test_a_trial_becomes_a_tensorboard_hparams_run(tmp_path):
    import tensorflow as tf
    from tensorboard.plugins.hparams import plugin_data_pb2

    from bot.tuning.hparams import write_trial

    scores = {"quality": 0.91, "intent_macro_f1": 0.9, "mean_entity_f1": 0.85, "p95_ms": 21.5, "p50_ms": 12.0,
              "macro_f1": {"zh": 0.92, "en": 0.88, "mixed": 0.95}}
    folder = write_trial(tmp_path, "study-x", 7, {"architecture": "diet", "diet.epochs": 25, "diet.drop_rate": 0.2},
                         "complete", 0.905, scores)
    assert folder == tmp_path / "tuning" / "study-x" / "trial-007"
    values = [v for event in _events(folder) for v in event.summary.value]
    scalars = {v.tag: float(tf.make_ndarray(v.tensor)) for v in values
               if v.metadata.plugin_data.plugin_name == "scalars"}
    assert scalars["objective"] == pytest.approx(0.905) and scalars["p95_ms"] == pytest.approx(21.5)
    assert scalars["macro_f1_en"] == pytest.approx(0.88)
    (session,) = [v for v in values if v.metadata.plugin_data.plugin_name == "hparams"]
    data = plugin_data_pb2.HParamsPluginData.FromString(session.metadata.plugin_data.content)
    hparams = data.session_start_info.hparams
    assert hparams["architecture"].string_value == "diet" and hparams["diet.epochs"].number_value == 25
    assert hparams["state"].string_value == "complete"
    assert data.session_start_info.group_name == "study-x/7"


def test_a_pruned_trial_has_only_the_scores_it_reached(tmp_path):
    from bot.tuning.hparams import trial_metrics

    assert trial_metrics(None, None) == {}
    assert trial_metrics(None, {"quality": 0.5, "p95_ms": 30.0}) == {"quality": 0.5, "p95_ms": 30.0}
