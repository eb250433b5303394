"""Model version reports: a text report, a side-by-side comparison, the version list,
and an HTML page whose plots (matplotlib, embedded as base64 PNG) need no server.

Everything here reads ``bot.registry.VersionInfo`` / ``DecisionInfo`` values;
nothing touches the database.
"""
from __future__ import annotations

import base64
import html
import io
from typing import Optional

from bot.registry import DecisionInfo, GateDecision, VersionInfo, pooled_intent_f1, gate
from bot.training import LANGUAGES


def _score(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.3f}"


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _size(size_bytes: int) -> str:
    return f"{size_bytes / 1e6:.1f} MB"


def _shorten(name: str, width: int) -> str:
    return name if len(name) <= width else "…" + name[-(width - 1):]


def _languages(info: VersionInfo) -> list[str]:
    scores = info.language_scores()
    return [lang for lang in LANGUAGES if lang in scores] + [lang for lang in scores if lang not in LANGUAGES]


# --------------------------------------------------------------------------- text


def list_table(versions: list[VersionInfo]) -> str:
    """One line per version, oldest first; * marks the serving one."""
    header = (f"  {'version':20} {'status':9} {'source':8} {'config':22} {'trained (UTC)':16} "
              + " ".join(f"{lang + ' acc':>9}" for lang in LANGUAGES) + f" {'p95 ms':>7} {'size':>8}")
    lines = [header]
    for v in versions:
        scores = v.language_scores()
        accuracies = " ".join(f"{_score(scores.get(lang, {}).get('intent_accuracy')):>9}" for lang in LANGUAGES)
        p95 = (v.report or {}).get("latency_ms_p95")
        lines.append(f"{'*' if v.status == 'serving' else ' '} {v.version:20} {v.status:9} {v.source:8} "
                     f"{_shorten(v.config_name, 22):22} {v.trained_at.strftime('%Y-%m-%d %H:%M'):16} {accuracies} "
                     f"{'-' if p95 is None else f'{p95:.1f}':>7} {_size(v.size_bytes):>8}")
    return "\n".join(lines)


def _scores_table(info: VersionInfo) -> list[str]:
    lines = [f"  {'language':8} {'n':>5} {'accuracy':>9} {'macro-F1':>9} {'entity-F1':>10} {'fallback':>9} "
             f"{'wrong':>7}"]
    for lang in _languages(info):
        s = info.language_scores()[lang]
        lines.append(f"  {lang:8} {s['examples']:>5} {s['intent_accuracy']:>9.3f} {s['intent_macro_f1']:>9.3f} "
                     f"{_score(s.get('entity_f1')):>10} {s.get('fallback_rate', 0):>9.3f} "
                     f"{s.get('wrong_intent_rate', 0):>7.3f}")
    return lines


def _top_confusions(confusion: dict, limit: int = 10) -> list[tuple[str, str, int]]:
    pairs = [(gold, predicted, count) for gold, row in confusion.items() for predicted, count in row.items()
             if predicted != gold]
    return sorted(pairs, key=lambda p: (-p[2], p[0], p[1]))[:limit]


def decision_lines(history: list[DecisionInfo]) -> list[str]:
    lines = []
    for d in history:
        if d.action == "rollback":
            what = f"rolled back from {d.previous_version} to {d.version}"
        elif d.action == "refuse":
            what = f"{d.version} refused (serving stays {d.previous_version or 'none'})"
        else:
            what = (f"{d.version} promoted" + (" FORCED over the gate" if d.forced else "")
                    + (f", replacing {d.previous_version}" if d.previous_version else ""))
        lines.append(f"  {_when(d.decided_at)}  {what}; by {d.decided_by}: {d.reason}")
        if d.gate and (d.action == "refuse" or d.forced):
            lines += [f"      - {reason}" for reason in d.gate["reasons"]]
    return lines


def text_report(info: VersionInfo, history: list[DecisionInfo]) -> str:
    """`finbot models show`: everything known about one version."""
    report = info.report or {}
    lines = [
        f"model version {info.version}  [{info.status}]",
        f"  archive        {info.archive_path} ({_size(info.size_bytes)})",
        f"  config         {info.config_name}",
        f"  trained        {_when(info.trained_at)} in {info.training_seconds:.0f} s (source: {info.source})",
        f"  code version   {info.code_version}",
        f"  fingerprints   inputs {info.fingerprint[:12]}  nlu {info.nlu_sha256[:12]}  "
        f"domain {info.domain_sha256[:12]}  stories {info.stories_sha256[:12]}",
    ]
    if info.tensorboard_dir:
        lines.append(f"  tensorboard    {info.tensorboard_dir}")
    if not report:
        lines.append("\nno evaluation report")
    else:
        lines += ["", f"held-out evaluation ({report.get('evaluated_at', '?')[:19]}):", *_scores_table(info),
                  f"  parse latency per message: p50 {report['latency_ms_p50']:.1f} ms, "
                  f"p95 {report['latency_ms_p95']:.1f} ms"]
        suite = report.get("conversation_suite")
        if suite:
            lines.append(f"  conversation tests: {suite['passed']} passed, {suite['failed']} failed")
        intents = sorted({i for s in info.language_scores().values() for i in s.get("per_intent_f1", {})})
        languages = _languages(info)
        lines += ["", "per-intent F1:", f"  {'intent':24} " + " ".join(f"{lang:>7}" for lang in languages)]
        for intent in intents:
            cells = " ".join(f"{_score(info.language_scores()[lang].get('per_intent_f1', {}).get(intent)):>7}"
                             for lang in languages)
            lines.append(f"  {intent:24} {cells}")
        confusions = _top_confusions(report.get("confusion") or {})
        if confusions:
            lines += ["", "most frequent confusions (expected -> predicted, all languages):"]
            lines += [f"  {count:>4}  {gold} -> {predicted}" for gold, predicted, count in confusions]
    if history:
        lines += ["", "promotion history:", *decision_lines(history)]
    return "\n".join(lines)


def compare_text(a: VersionInfo, b: VersionInfo, decision: Optional[GateDecision] = None) -> str:
    """`finbot models compare A B`: scores side by side, B - A, and the gate's verdict on B replacing A."""
    lines = [f"A = {a.version} [{a.status}], B = {b.version} [{b.status}]", "",
             f"  {'language':8} {'metric':10} {'A':>7} {'B':>7} {'B-A':>8}"]
    for lang in LANGUAGES:
        sa, sb = a.language_scores().get(lang), b.language_scores().get(lang)
        if not sa and not sb:
            continue
        for key, label in (("intent_accuracy", "accuracy"), ("intent_macro_f1", "macro-F1"),
                           ("entity_f1", "entity-F1")):
            va, vb = (sa or {}).get(key), (sb or {}).get(key)
            delta = f"{vb - va:+.3f}" if va is not None and vb is not None else "-"
            lines.append(f"  {lang:8} {label:10} {_score(va):>7} {_score(vb):>7} {delta:>8}")
    ra, rb = a.report or {}, b.report or {}
    for key, label in (("latency_ms_p50", "p50 ms"), ("latency_ms_p95", "p95 ms")):
        if key in ra and key in rb:
            lines.append(f"  {'latency':8} {label:10} {ra[key]:>7.1f} {rb[key]:>7.1f} {rb[key] - ra[key]:>+8.1f}")
    lines.append(f"  {'model':8} {'size MB':10} {a.size_bytes / 1e6:>7.1f} {b.size_bytes / 1e6:>7.1f} "
                 f"{(b.size_bytes - a.size_bytes) / 1e6:>+8.1f}")
    lines.append(f"  {'training':8} {'seconds':10} {a.training_seconds:>7.0f} {b.training_seconds:>7.0f} "
                 f"{b.training_seconds - a.training_seconds:>+8.0f}")
    f1a, f1b = pooled_intent_f1(ra.get("confusion") or {}), pooled_intent_f1(rb.get("confusion") or {})
    moved = sorted(((i, f1a.get(i, 0.0), f1b.get(i, 0.0)) for i in set(f1a) | set(f1b)
                    if abs(f1b.get(i, 0.0) - f1a.get(i, 0.0)) >= 0.02), key=lambda t: t[2] - t[1])
    if moved:
        lines += ["", "intents whose F1 (all languages) moved by 0.02 or more:"]
        lines += [f"  {intent:24} {fa:.3f} -> {fb:.3f} ({fb - fa:+.3f})" for intent, fa, fb in moved]
    decision = decision or gate(rb or None, ra or None)
    lines += ["", f"gate, if B replaced A: {'PROMOTE' if decision.promote else 'REFUSE'}",
              *[f"  - {reason}" for reason in decision.reasons]]
    if a.config_text != b.config_text:
        lines += ["", "the configs differ (see `finbot models show` for each)"]
    return "\n".join(lines)


# --------------------------------------------------------------------------- plots and HTML


def _png(figure) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def confusion_figure(confusion: dict):
    """Heatmap of expected (rows) against predicted (columns) intents, counts in the cells."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    gold = sorted(confusion)
    predicted = gold + sorted({p for row in confusion.values() for p in row} - set(gold))
    matrix = np.array([[confusion[g].get(p, 0) for p in predicted] for g in gold])
    size = max(6.0, 0.38 * len(predicted) + 2)
    figure, axes = plt.subplots(figsize=(size, max(5.0, 0.38 * len(gold) + 1.5)))
    image = axes.imshow(np.log1p(matrix), cmap="Blues", aspect="auto")
    axes.set_xticks(range(len(predicted)), predicted, rotation=70, ha="right", fontsize=8)
    axes.set_yticks(range(len(gold)), gold, fontsize=8)
    axes.set_xlabel("predicted intent")
    axes.set_ylabel("expected intent")
    peak = matrix.max() if matrix.size else 0
    for (row, column), count in np.ndenumerate(matrix):
        if count:
            axes.text(column, row, str(count), ha="center", va="center", fontsize=6,
                      color="white" if np.log1p(count) > np.log1p(peak) * 0.6 else "black")
    figure.colorbar(image, ax=axes, label="log(1 + count)", fraction=0.03)
    axes.set_title("confusion matrix, all held-out languages")
    return figure


def intent_f1_figure(info: VersionInfo):
    """Horizontal bars: each intent's F1 in each language."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    languages = _languages(info)
    scores = info.language_scores()
    intents = sorted({i for s in scores.values() for i in s.get("per_intent_f1", {})}, reverse=True)
    figure, axes = plt.subplots(figsize=(8, max(4.0, 0.32 * len(intents) * max(1, len(languages)) / 1.5)))
    height = 0.8 / max(1, len(languages))
    positions = np.arange(len(intents))
    for offset, lang in enumerate(languages):
        values = [scores[lang].get("per_intent_f1", {}).get(i, np.nan) for i in intents]
        axes.barh(positions + offset * height, values, height=height, label=lang)
    axes.set_yticks(positions + height * (len(languages) - 1) / 2, intents, fontsize=8)
    axes.set_xlim(0, 1.0)
    axes.set_xlabel("F1 on the held-out split")
    axes.legend(loc="lower right", fontsize=8)
    axes.set_title("per-intent F1 by language")
    axes.grid(axis="x", alpha=0.3)
    return figure


def accuracy_latency_figure(versions: list[VersionInfo], highlight: Optional[str] = None):
    """Every evaluated version: held-out intent accuracy against parse latency p95."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {"serving": "tab:green", "candidate": "tab:blue", "retired": "tab:gray", "refused": "tab:red"}
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for status, colour in colours.items():
        points = [(v.report["latency_ms_p95"], v.overall_accuracy(), v.version) for v in versions
                  if v.status == status and v.report and v.overall_accuracy() is not None]
        if points:
            axes.scatter([p[0] for p in points], [p[1] for p in points], c=colour, label=status, s=40)
        for x, y, name in points:
            axes.annotate(name, (x, y), fontsize=7, xytext=(4, 3), textcoords="offset points",
                          fontweight="bold" if name == highlight else "normal")
    if highlight:
        for v in versions:
            if v.version == highlight and v.report and v.overall_accuracy() is not None:
                axes.scatter([v.report["latency_ms_p95"]], [v.overall_accuracy()], s=160, facecolors="none",
                             edgecolors="black", linewidths=1.5)
    axes.set_xlabel("NLU parse latency p95 per message (ms, this machine)")
    axes.set_ylabel("intent accuracy, all held-out examples")
    axes.set_title("accuracy against latency, every registered version")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    return figure


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f3f3f3; } td.l, th.l { text-align: left; }
.status { display: inline-block; padding: 0.1em 0.6em; border-radius: 0.8em; color: white; }
.serving { background: #2a7d2a; } .candidate { background: #2d62b3; } .retired { background: #777; }
.refused { background: #b32d2d; }
img { max-width: 100%; } pre { background: #f7f7f7; padding: 1em; overflow-x: auto; }
"""


def _table(header: list[str], rows: list[list], left: int = 1) -> str:
    head = "".join(f"<th class='l'>{html.escape(h)}</th>" if i < left else f"<th>{html.escape(h)}</th>"
                   for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(f"<td class='l'>{html.escape(str(c))}</td>" if i < left
                                     else f"<td>{html.escape(str(c))}</td>" for i, c in enumerate(row)) + "</tr>"
                   for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def html_report(info: VersionInfo, versions: list[VersionInfo], history: list[DecisionInfo]) -> str:
    """A self-contained HTML page: facts, scores, the three plots, promotion history, the config."""
    report = info.report or {}
    facts = [["archive", f"{info.archive_path} ({_size(info.size_bytes)})"], ["config", info.config_name],
             ["trained", f"{_when(info.trained_at)} in {info.training_seconds:.0f} s ({info.source})"],
             ["code version", info.code_version],
             ["data", f"nlu {info.nlu_sha256[:12]} · domain {info.domain_sha256[:12]} · "
                      f"stories {info.stories_sha256[:12]}"],
             ["tensorboard", info.tensorboard_dir or "-"]]
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>finbot model {html.escape(info.version)}"
             f"</title><style>{_STYLE}</style></head><body>",
             f"<h1>finbot model {html.escape(info.version)} <span class='status {info.status}'>{info.status}</span>"
             f"</h1>", _table(["", ""], facts, left=2)]
    if report:
        rows = [[lang, s["examples"], f"{s['intent_accuracy']:.3f}", f"{s['intent_macro_f1']:.3f}",
                 _score(s.get("entity_f1")), f"{s.get('fallback_rate', 0):.3f}", f"{s.get('wrong_intent_rate', 0):.3f}"]
                for lang, s in ((lang, info.language_scores()[lang]) for lang in _languages(info))]
        parts += ["<h2>Held-out evaluation</h2>",
                  _table(["language", "examples", "accuracy", "macro-F1", "entity F1", "fallback", "wrong intent"],
                         rows),
                  f"<p>NLU parse latency per message: p50 {report['latency_ms_p50']:.1f} ms, "
                  f"p95 {report['latency_ms_p95']:.1f} ms (this machine).</p>",
                  "<h2>Accuracy against latency</h2>",
                  f"<img alt='accuracy against latency' src='data:image/png;base64,"
                  f"{_png(accuracy_latency_figure(versions, highlight=info.version))}'>",
                  "<h2>Per-intent F1</h2>",
                  f"<img alt='per-intent F1' src='data:image/png;base64,{_png(intent_f1_figure(info))}'>",
                  "<h2>Confusion matrix</h2>",
                  f"<img alt='confusion matrix' src='data:image/png;base64,"
                  f"{_png(confusion_figure(report.get('confusion') or {}))}'>"]
        errors = report.get("errors") or []
        if errors:
            parts += ["<h2>Misclassified examples (first 50)</h2>",
                      _table(["language", "text", "expected", "predicted", "confidence"], errors, left=4)]
    else:
        parts.append("<p>No evaluation report.</p>")
    if history:
        parts += ["<h2>Promotion history</h2>", "<pre>" + html.escape("\n".join(decision_lines(history))) + "</pre>"]
    parts += ["<h2>Config</h2>", f"<pre>{html.escape(info.config_text)}</pre>", "</body></html>"]
    return "\n".join(parts)
