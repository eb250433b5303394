"""How many threads TensorFlow may use in this process.

TensorFlow starts a pool of threads per core for each process. Processes
that share the cores (two tuning workers, two serving workers on 2 cores)
then oversubscribe them. The limit must be set before TensorFlow runs its
first operation; after that the process keeps its threads and says so.
"""
from __future__ import annotations

from typing import Callable


def limit_tensorflow_threads(threads: int, log: Callable[[str], None]) -> bool:
    """Run each TensorFlow op on at most ``threads`` threads (and as many ops at once); False if too late."""
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError as error:
        log(f"TensorFlow keeps its default threads in this process ({error})")
        return False
    return True
