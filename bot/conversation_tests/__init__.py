"""Conversation regression tests that run the whole bot (``finbot test conversations``).

A bank's QA team writes conversations in YAML (``format.py``); the runner
(``runner.py``) plays them through NLU, the dialogue policies, the in-process
actions, the recommender and a freshly seeded database, or against a running
server by URL; ``report.py`` prints a readable diff per step and writes
JUnit XML.
"""
from bot.conversation_tests.format import Conversation, FormatError, Step, load_file, load_paths
from bot.conversation_tests.runner import ConversationResult, InProcessBot, RemoteBot
from bot.conversation_tests.suite import SuiteOutcome, run_suite, run_suite_async

__all__ = [
    "Conversation", "ConversationResult", "FormatError", "InProcessBot", "RemoteBot", "Step", "SuiteOutcome",
    "load_file", "load_paths", "run_suite", "run_suite_async",
]
