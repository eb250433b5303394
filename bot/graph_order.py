"""Running a loaded model's graph in a fixed order instead of through dask.

Every parse and every next-action prediction runs Rasa's predict graph with
``DaskGraphRunner.run``, which on each call cuts the graph down to the nodes
the targets need (``minimal_graph_schema``), rebuilds a dask task graph and
hands it to dask's synchronous scheduler. The nodes are the same every time;
only the inputs (the message or the tracker) change. In ``finbot bench turn``
that bookkeeping was about a fifth of the time a prediction took.

``install(runner)`` gives one loaded runner a ``run`` that works out each
target set's nodes and their order once, then calls the same ``GraphNode``
objects with the same arguments, one after the other, as dask's synchronous
scheduler does. Results and errors are Rasa's: tests/test_graph_order.py runs
conversations both ways. A call that names an input the plan does not know
goes to Rasa's own ``run``.
"""
from __future__ import annotations

import types
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

_RASA_RUN = DaskGraphRunner.run

# One step of a plan: the node's name, the node, and the names of what it needs, in its argument order.
Step = Tuple[Text, Any, Tuple[Text, ...]]


def _plan(runner: DaskGraphRunner, targets: Tuple[Text, ...]) -> Tuple[List[Step], frozenset]:
    """The nodes ``targets`` need, each after everything it needs (schema order among equals),
    and the graph inputs they need."""
    schema = runner._graph_schema.minimal_graph_schema(list(targets))
    needs = {name: tuple(node.needs.values()) for name, node in schema.nodes.items()}
    ordered: List[Step] = []
    placed: set = set()
    remaining = list(needs)
    while remaining:
        ready = [name for name in remaining if all(need in placed or need not in needs for need in needs[name])]
        if not ready:
            raise GraphRunError(f"the graph for {list(targets)} has a cycle among {remaining}")
        for name in ready:
            ordered.append((name, runner._instantiated_nodes[name], needs[name]))
            placed.add(name)
        remaining = [name for name in remaining if name not in placed]
    inputs = frozenset(need for node_needs in needs.values() for need in node_needs if need not in needs)
    return ordered, inputs


def _run_in_order(self: DaskGraphRunner, inputs: Optional[Dict[Text, Any]] = None,
                  targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
    wanted = tuple(targets if targets else self._graph_schema.target_names)
    planned = self._finbot_plans.get(wanted)
    if planned is None:
        planned = self._finbot_plans[wanted] = _plan(self, wanted)
    plan, needed_inputs = planned
    # dask passes an input to a node as the literal tuple (name, value), as a node passes its output.
    values: Dict[Text, Any] = {}
    for name, value in (inputs or {}).items():
        if isinstance(value, str) and value in self._graph_schema.nodes:
            return _RASA_RUN(self, inputs, targets)      # Rasa's error for an input named like a node
        values[name] = (name, value)
    if not needed_inputs <= values.keys():
        return _RASA_RUN(self, inputs, targets)          # an input missing: whatever Rasa does with that
    try:
        for name, node, needs in plan:
            values[name] = node(*(values[need] for need in needs))
    except RuntimeError as error:
        raise GraphRunError("Error running runner.") from error
    return dict(values[target] for target in wanted)


def install(runner: DaskGraphRunner) -> DaskGraphRunner:
    """Give this loaded runner the fixed-order ``run`` (other runners, training's included, keep dask's)."""
    if isinstance(runner, DaskGraphRunner) and "_finbot_plans" not in vars(runner):
        runner._finbot_plans = {}
        runner.run = types.MethodType(_run_in_order, runner)
    return runner


def installed(runner: DaskGraphRunner) -> bool:
    return "_finbot_plans" in vars(runner)


def uninstall(runner: DaskGraphRunner) -> DaskGraphRunner:
    """Back to dask for this runner."""
    vars(runner).pop("run", None)
    vars(runner).pop("_finbot_plans", None)
    return runner
