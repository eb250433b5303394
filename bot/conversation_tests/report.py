"""Reporting: a readable text diff per step, the summary line, JUnit XML for CI."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Optional

from bot.conversation_tests.checks import Observed
from bot.conversation_tests.format import FormatError
from bot.conversation_tests.runner import ConversationResult, StepResult

PASS, FAIL = "✓", "✗"


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def conversation_header(result: ConversationResult) -> str:
    c = result.conversation
    mark = "PASS" if result.passed else "FAIL"
    who = c.customer or "not signed in"
    return f"{mark} {c.name}  [{c.language}, {who}, {len(c.steps)} steps, {result.seconds:.1f} s]  {c.where}"


def render_observed(observed: Observed, indent: str) -> List[str]:
    """What the bot did: intent, actions, time, then its replies line by line."""
    lines = [f"{indent}got: intent {observed.intent_text} · actions {', '.join(observed.actions) or 'none'} · "
             f"{observed.latency_ms:.0f} ms"]
    for message in observed.messages:
        for text_line in (message.get("text") or "").splitlines() or ([] if message.get("text") is None else [""]):
            lines.append(f"{indent}  bot│ {text_line}")
        buttons = message.get("buttons") or []
        if buttons:
            lines.append(f"{indent}  bot│ [" + "] [".join(f"{b.get('title')} -> {b.get('payload')}"
                                                          for b in buttons) + "]")
        if message.get("custom") is not None:
            lines.append(f"{indent}  bot│ (custom) {_short(str(message['custom']), 100)}")
    return lines


def render_step(result: StepResult, indent: str = "    ") -> List[str]:
    step = result.step
    mark = PASS if result.passed else FAIL
    head = f"{indent}{mark} {step.number}. {_short(step.user)}"
    if result.passed:
        return [head]
    lines = [f"{head}   (line {step.line})"]
    inner = indent + "    "
    if result.outcome.error:
        lines.append(f"{inner}error: {result.outcome.error.splitlines()[0]}")
        lines.extend(f"{inner}  {line}" for line in result.outcome.error.splitlines()[1:])
        return lines
    width = max(len(m.check) for m in result.outcome.mismatches)
    for mismatch in result.outcome.mismatches:
        lines.append(f"{inner}{mismatch.check:<{width}}  expected {mismatch.expected}")
        lines.append(f"{inner}{'':<{width}}  got      {mismatch.got}")
    if result.observed is not None:
        lines.extend(render_observed(result.observed, inner))
    return lines


def render_conversation(result: ConversationResult, verbose: bool = False) -> str:
    """One line for a pass (every step with ``verbose``), every step and its diff for a failure."""
    lines = [conversation_header(result)]
    if result.passed and not verbose:
        return lines[0]
    for step_result in result.steps:
        lines.extend(render_step(step_result))
    not_run = result.conversation.steps[len(result.steps):]
    if not_run and result.error is None:
        lines.append(f"    - steps {not_run[0].number}-{not_run[-1].number} not run (the conversation stopped)")
    if result.error:
        lines.append("    error: " + result.error.splitlines()[0])
        lines.extend("      " + line for line in result.error.splitlines()[1:])
    return "\n".join(lines)


def summary_line(results: List[ConversationResult], format_errors: List[FormatError], seconds: float) -> str:
    passed = sum(1 for r in results if r.passed)
    failed = len(results) - passed
    steps = sum(len(r.conversation.steps) for r in results)
    failed_steps = sum(len(r.failed_steps) + len(r.conversation.steps) - len(r.steps) for r in results)
    text = f"{passed} passed, {failed} failed"
    if format_errors:
        text += f", {len(format_errors)} format error{'s' if len(format_errors) != 1 else ''}"
    return f"{text}  ({len(results)} conversations, {steps} steps, {failed_steps} failed or not run; {seconds:.1f} s)"


def breakdown(results: List[ConversationResult]) -> str:
    """Conversations per file and language: what the suite covers."""
    by_file: Dict[str, Dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in results:
        by_file[r.conversation.path.name][r.conversation.language] += 1
    rows = []
    for name in sorted(by_file):
        counts = by_file[name]
        rows.append(f"  {name:<28} " + "  ".join(f"{lang} {counts[lang]}" for lang in ("zh", "en", "mixed")
                                                    if counts.get(lang)))
    return "\n".join(rows)


# --------------------------------------------------------------------------- JUnit XML


def write_junit(path: Path, results: List[ConversationResult], format_errors: List[FormatError],
                seconds: float, suite_name: str = "finbot conversations") -> None:
    """One <testsuite> per file, one <testcase> per conversation; a format error is an <error>."""
    suites: Dict[str, List] = defaultdict(list)
    for r in results:
        suites[str(r.conversation.path)].append(r)
    errors_by_file: Dict[str, List[FormatError]] = defaultdict(list)
    for e in format_errors:
        errors_by_file[str(e.path)].append(e)
    root = ET.Element("testsuites", name=suite_name, time=f"{seconds:.3f}")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for file_name in sorted(set(suites) | set(errors_by_file)):
        file_results = suites.get(file_name, [])
        file_errors = errors_by_file.get(file_name, [])
        failures = sum(1 for r in file_results if not r.passed and r.error is None)
        errors = sum(1 for r in file_results if r.error is not None) + (1 if file_errors else 0)
        tests = len(file_results) + (1 if file_errors else 0)
        suite = ET.SubElement(root, "testsuite", name=file_name, tests=str(tests), failures=str(failures),
                              errors=str(errors), skipped="0",
                              time=f"{sum(r.seconds for r in file_results):.3f}")
        classname = _classname(file_name)
        if file_errors:
            case = ET.SubElement(suite, "testcase", classname=classname, name="file format", file=file_name,
                                 time="0")
            error = ET.SubElement(case, "error", message=f"{len(file_errors)} format error(s)", type="FormatError")
            error.text = "\n".join(str(e) for e in file_errors)
        for r in file_results:
            case = ET.SubElement(suite, "testcase", classname=classname, name=r.conversation.name, file=file_name,
                                 line=str(r.conversation.line), time=f"{r.seconds:.3f}")
            if not r.passed:
                tag = "error" if r.error is not None else "failure"
                first = r.failed_steps[0] if r.failed_steps else None
                message = (f"step {first.step.number}: " + _first_problem(first)) if first else (
                    (r.error or "not all steps ran").splitlines()[0])
                element = ET.SubElement(case, tag, message=message, type="ConversationMismatch")
                element.text = render_conversation(r)
            out = ET.SubElement(case, "system-out")
            out.text = transcript(r)
        totals["tests"] += tests
        totals["failures"] += failures
        totals["errors"] += errors
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _classname(file_name: str) -> str:
    stem = Path(file_name).with_suffix("")
    return ".".join(part for part in stem.parts if part not in ("/", ".."))


def _first_problem(step: StepResult) -> str:
    if step.outcome.error:
        return step.outcome.error.splitlines()[0]
    m = step.outcome.mismatches[0]
    return f"{m.check} expected {m.expected}, got {m.got}"


def transcript(result: ConversationResult) -> str:
    """The conversation as it happened: user lines and the bot's replies."""
    lines = [f"conversation id {result.conversation_id}"]
    for step_result in result.steps:
        lines.append(f"user│ {step_result.step.user}")
        if step_result.observed is not None:
            lines.extend(line.strip() for line in render_observed(step_result.observed, ""))
    return "\n".join(lines)


def format_error_lines(errors: List[FormatError]) -> Optional[str]:
    if not errors:
        return None
    return "\n".join(["format errors (these conversations were not run):", *(f"  {e}" for e in errors)])
