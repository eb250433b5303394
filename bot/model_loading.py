"""Loading a trained model in seconds rather than minutes.

Rasa rebuilds each TensorFlow model (DIET, ResponseSelector, TED) before
restoring its weights by running one training step on one example
(``RasaModel.load``: ``compile`` then ``fit``). In graph mode that step
traces the whole training graph, gradients included: on 2 cores the default
model took 108 s to load, almost all of it in that trace, for a step whose
result is thrown away when the weights are read.

``install()`` makes that one step run eagerly, which builds the same
variables without tracing anything, then switches the model back to graph
mode before the first prediction, so predictions and their speed are
unchanged (``tests/test_model_loading.py`` compares both ways on a trained
model). Loading the default model: 108 s -> 19 s. Models loaded to be
fine-tuned are left to Rasa's own code.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

from rasa.utils.tensorflow.constants import RUN_EAGERLY
from rasa.utils.tensorflow.models import RasaModel

_RASA_LOAD = RasaModel.__dict__["load"]  # the classmethod as Rasa defines it
_lock = threading.Lock()


def _eager_build_load(cls, model_file_name, model_data_example, predict_data_example=None, finetune_mode=False,
                      *args, **kwargs):
    config = kwargs.get("config")
    if finetune_mode or not isinstance(config, dict) or config.get(RUN_EAGERLY):
        return _RASA_LOAD.__func__(cls, model_file_name, model_data_example, predict_data_example, finetune_mode,
                                   *args, **kwargs)
    # Build the weights with one eager step; Rasa's load reads the trained weights over them.
    eager = {**kwargs, "config": {**config, RUN_EAGERLY: True}}
    model = _RASA_LOAD.__func__(cls, model_file_name, model_data_example, None, finetune_mode, *args, **eager)
    model.run_eagerly = False          # predictions through tf.function, as Rasa's own load leaves them
    model.config[RUN_EAGERLY] = False
    if predict_data_example:
        model.run_inference(predict_data_example)  # trace the prediction graph now, not on a customer's message
    return model


def install() -> None:
    """Use the eager weight build for every model loaded from now on (idempotent)."""
    with _lock:
        RasaModel.load = classmethod(_eager_build_load)


def uninstall() -> None:
    """Back to Rasa's own loading."""
    with _lock:
        RasaModel.load = _RASA_LOAD


def installed() -> bool:
    return RasaModel.__dict__["load"] is not _RASA_LOAD


@contextmanager
def rasa_default_loading() -> Iterator[None]:
    """Load with Rasa's unchanged code inside the block (tests compare the two)."""
    was = installed()
    uninstall()
    try:
        yield
    finally:
        if was:
            install()
