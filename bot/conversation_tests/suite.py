"""A whole run: load the files, run the conversations, print as they finish, write JUnit."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, List, Optional

from bot.conversation_tests.format import Conversation, FormatError, load_paths
from bot.conversation_tests.report import (
    breakdown,
    format_error_lines,
    render_conversation,
    summary_line,
    write_junit,
)
from bot.conversation_tests.runner import ConversationResult, run_all


@dataclass
class SuiteOutcome:
    results: List[ConversationResult]
    format_errors: List[FormatError]
    seconds: float

    @property
    def passed(self) -> List[ConversationResult]:
        return [r for r in self.results if r.passed]

    @property
    def failed(self) -> List[ConversationResult]:
        return [r for r in self.results if not r.passed]

    @property
    def exit_code(self) -> int:
        """0: everything passed; 1: a conversation failed or a file is malformed."""
        return 0 if not self.failed and not self.format_errors and self.results else 1


def select(conversations: List[Conversation], keyword: Optional[str]) -> List[Conversation]:
    """Conversations whose name, tags or file name contain ``keyword`` (case-insensitive)."""
    if not keyword:
        return conversations
    wanted = keyword.casefold()
    return [c for c in conversations
            if wanted in c.name.casefold() or wanted in c.path.name.casefold()
            or any(wanted in t.casefold() for t in c.tags)]


async def run_suite_async(paths: Iterable[Path], target, *, jobs: int = 4, keyword: Optional[str] = None,
                          verbose: bool = False, junit: Optional[Path] = None,
                          out: Callable[[str], None] = print) -> SuiteOutcome:
    started = time.perf_counter()
    loaded = load_paths(paths)
    conversations = select(loaded.conversations, keyword)
    errors = list(loaded.errors)
    out(f"running {len(conversations)} conversations from {len(loaded.files)} files against {target.description}")
    await target.start()
    try:
        runnable = []
        for conversation in conversations:
            problems = target.unknown_names(conversation)
            errors.extend(problems)
            if not problems:
                runnable.append(conversation)
        listing = format_error_lines(errors)
        if listing:
            out(listing)
        results = await run_all(target, runnable, jobs=jobs,
                                on_result=lambda r: out(render_conversation(r, verbose=verbose)))
    finally:
        await target.stop()
    seconds = time.perf_counter() - started
    outcome = SuiteOutcome(results, errors, seconds)
    if outcome.results:
        out("\nconversations per file and language:\n" + breakdown(outcome.results))
    for note in getattr(target, "notes", []):
        out(note)
    if outcome.failed:
        out("\nfailed:")
        for r in outcome.failed:
            out(f"  {r.conversation.where}  {r.conversation.name}")
    out("\n" + summary_line(outcome.results, outcome.format_errors, seconds))
    if junit is not None:
        write_junit(Path(junit), outcome.results, outcome.format_errors, seconds)
        out(f"JUnit XML written to {junit}")
    return outcome


def run_suite(paths: Iterable[Path], target, **options) -> SuiteOutcome:
    """``run_suite_async`` on a fresh event loop (for the command line and tests)."""
    return asyncio.run(run_suite_async(paths, target, **options))
