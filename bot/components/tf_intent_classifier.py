"""finbot's own TensorFlow intent classifier, as a Rasa 3.6 graph component.

A small convolutional network reads each message twice:

* as characters: NFKC-normalised, lower-cased, digits mapped to one symbol
  (see bot.components._text.normalise_for_features), ids from a vocabulary
  built on the training data (0 = padding, 1 = unknown), at most
  ``max_chars`` of them;
* as words: the tokens the pipeline's tokenizer set on the message,
  normalised the same way, ids from a word vocabulary, at most ``max_words``.

Characters: embedding -> one Conv1D per kernel size (ReLU) -> max over the
positions that hold a character. Words: embedding -> either the same
convolutions (``encoder: cnn``) or a bidirectional GRU/LSTM (``gru``/``lstm``)
reading only the real tokens. Both summaries are concatenated -> dropout ->
dense softmax over the intents. During training a fraction (``word_dropout``)
of known words is replaced by the unknown id, so the model learns what to do
with words it has never seen.

Retrieval intents train on their base intent: Rasa stores "faq/fees" as
intent "faq" plus intent_response_key "faq/fees"; we learn "faq", and the
ResponseSelector picks the sub-intent, as with DIET.

Follows the graph component contract: ``create`` -> ``train`` (persists into
``model_storage.write_to(resource)``) -> ``load`` (from
``model_storage.read_from(resource)``) -> ``process``. Persisted: the Keras
weights (``weights.h5``) and ``metadata.json`` with the vocabularies, the
intent labels and the architecture, so loading rebuilds the network without
retraining.
"""
from __future__ import annotations

import json
import logging
import re
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple, Type

import numpy as np
import tensorflow as tf

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers import LABEL_RANKING_LENGTH
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.exceptions import InvalidConfigException, RasaException
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.constants import (
    EPOCHS,
    LEARNING_RATE,
    RANDOM_SEED,
    RANKING_LENGTH,
    TENSORBOARD_LOG_DIR,
)

from bot.components._text import OOV_ID, PAD_ID, build_vocabulary, encode, normalise_for_features

logger = logging.getLogger(__name__)

_LATIN_LETTERS = re.compile(r"[a-z]+")  # words after normalise_for_features (lower-cased)

METADATA_FILE = "metadata.json"
WEIGHTS_FILE = "weights.h5"
FORMAT_VERSION = 1
ENCODERS = ("cnn", "gru", "lstm")

# Config keys that shape the network's weights; persisted with the model so
# loading rebuilds exactly the network that was trained.
ARCHITECTURE_KEYS = (
    "char_embedding_dim",
    "char_filters",
    "char_kernel_sizes",
    "word_embedding_dim",
    "word_filters",
    "word_kernel_sizes",
    "encoder",
    "units",
    "max_chars",
    "max_words",
    "dropout",
    "word_dropout",
)

# Rows per forward pass in process(): bounds memory on very large batches.
_PREDICT_CHUNK = 1024


class ModelLoadError(RasaException):
    """A persisted classifier exists but cannot be read back."""


class _WordDropout(tf.keras.layers.Layer):
    """While training, replace each known word id by the unknown id with probability `rate`."""

    def __init__(self, rate: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, ids: tf.Tensor, training: Optional[bool] = None) -> tf.Tensor:
        if not training or self.rate <= 0:
            return ids
        dropped = tf.random.uniform(tf.shape(ids)) < self.rate
        return tf.where(dropped & (ids > OOV_ID), tf.ones_like(ids) * OOV_ID, ids)


def _trim_padding(words: np.ndarray) -> np.ndarray:
    """Word ids [n, L] without the trailing columns that are padding in every row (one column at least).

    Ids are padded at the end and padding is masked everywhere in the network,
    so the logits do not change; a GRU/LSTM runs one step per column, and most
    messages are far shorter than ``max_words``.
    """
    longest = int((words > PAD_ID).sum(axis=1).max(initial=0))
    return words[:, :max(1, longest)]


def _trim_batch(inputs: Dict[Text, tf.Tensor], labels: tf.Tensor) -> Tuple[Dict[Text, tf.Tensor], tf.Tensor]:
    """``_trim_padding`` for one training batch inside a tf.data pipeline."""
    words = inputs["words"]
    longest = tf.reduce_max(tf.reduce_sum(tf.cast(words > PAD_ID, tf.int32), axis=1))
    return {"chars": inputs["chars"], "words": words[:, : tf.maximum(1, longest)]}, labels


def _masked_max(values: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
    """Max over positions (axis 1) that hold a real symbol.

    `values` are ReLU outputs (>= 0), so zeroing padded positions before the
    max is the same as leaving them out; an all-padding row gives zeros.
    Shapes: values [batch, length, filters], mask [batch, length, 1] -> [batch, filters].
    """
    return tf.reduce_max(values * mask, axis=1)


class _CharWordNetwork(tf.keras.Model):
    """Logits over intents from char ids [batch, max_chars] and word ids [batch, max_words]."""

    def __init__(self, n_chars: int, n_words: int, n_labels: int, architecture: Dict[Text, Any]) -> None:
        super().__init__(name="finbot_char_word_network")
        a = architecture
        self.encoder = a["encoder"]
        self.char_embedding = tf.keras.layers.Embedding(n_chars, a["char_embedding_dim"], name="char_embedding")
        self.char_convs = [
            tf.keras.layers.Conv1D(a["char_filters"], k, padding="same", activation="relu", name=f"char_conv_{k}")
            for k in a["char_kernel_sizes"]
        ]
        self.word_dropout = _WordDropout(a["word_dropout"], name="word_dropout")
        self.word_embedding = tf.keras.layers.Embedding(n_words, a["word_embedding_dim"], name="word_embedding")
        if self.encoder == "cnn":
            self.word_convs = [
                tf.keras.layers.Conv1D(a["word_filters"], k, padding="same", activation="relu", name=f"word_conv_{k}")
                for k in a["word_kernel_sizes"]
            ]
        else:
            recurrent = tf.keras.layers.GRU if self.encoder == "gru" else tf.keras.layers.LSTM
            self.word_rnn = tf.keras.layers.Bidirectional(recurrent(a["units"]), name=f"word_{self.encoder}")
        self.dropout = tf.keras.layers.Dropout(a["dropout"])
        self.intent_logits = tf.keras.layers.Dense(n_labels, name="intent_logits")

    def call(self, inputs: Dict[Text, tf.Tensor], training: Optional[bool] = None) -> tf.Tensor:
        chars, words = inputs["chars"], inputs["words"]

        char_mask = tf.cast(chars > PAD_ID, tf.float32)[:, :, tf.newaxis]
        # zero the padding embeddings so convolutions see zero padding at the end
        embedded_chars = self.char_embedding(chars) * char_mask
        summaries = [_masked_max(conv(embedded_chars), char_mask) for conv in self.char_convs]

        words = self.word_dropout(words, training=training)
        word_present = words > PAD_ID
        word_mask = tf.cast(word_present, tf.float32)[:, :, tf.newaxis]
        embedded_words = self.word_embedding(words) * word_mask
        if self.encoder == "cnn":
            summaries += [_masked_max(conv(embedded_words), word_mask) for conv in self.word_convs]
        else:
            summaries.append(self.word_rnn(embedded_words, mask=word_present, training=training))

        features = tf.concat(summaries, axis=-1)
        return self.intent_logits(self.dropout(features, training=training))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FinbotTFIntentClassifier(IntentClassifier, GraphComponent):
    """Intent classifier: char + word convolutions in TensorFlow (see the module docstring)."""

    @classmethod
    def required_components(cls) -> List[Type]:
        """The word input comes from the tokens a tokenizer sets on each message."""
        return [Tokenizer]

    @staticmethod
    def required_packages() -> List[Text]:
        """Any extra python dependencies required for this component to run."""
        return ["tensorflow"]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """The component's default config (see parent class for full docstring)."""
        return {
            # training
            EPOCHS: 40,
            "batch_size": 32,
            LEARNING_RATE: 0.003,
            RANDOM_SEED: 42,
            # weight each intent by n_examples / (n_intents * n_examples_of_intent)
            "balance_classes": True,
            # characters
            "max_chars": 64,
            "char_embedding_dim": 32,
            "char_filters": 64,
            "char_kernel_sizes": [2, 3, 4],
            # words
            "max_words": 32,
            "min_word_count": 1,
            "word_embedding_dim": 48,
            "encoder": "cnn",  # cnn | gru | lstm
            "word_filters": 64,  # for encoder cnn
            "word_kernel_sizes": [1, 2, 3],  # for encoder cnn
            "units": 48,  # per direction, for encoder gru / lstm
            # regularisation
            "dropout": 0.3,
            "word_dropout": 0.1,
            # output: how many intents go into intent_ranking (0 = all)
            RANKING_LENGTH: LABEL_RANKING_LENGTH,
            # None = off; a directory = per-epoch loss/accuracy for TensorBoard
            TENSORBOARD_LOG_DIR: None,
            # Ensemble with the classifier before this one in the pipeline (DIET):
            # None = replace its intent; w in (0, 1] = final probability
            # w * ours + (1 - w) * its ranking (give DIET ranking_length: 0).
            "ensemble_weight": None,
            # A message of two or more words made of Latin letters only, none of
            # which training ever saw ("qwxz plorf zzkq"), gets confidence 0 for
            # every intent, so the FallbackClassifier asks the customer to
            # rephrase instead of guessing from character shapes.
            "unknown_words_fallback": True,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        network: Optional[_CharWordNetwork] = None,
        labels: Optional[List[Text]] = None,
        char_vocabulary: Optional[Dict[Text, int]] = None,
        word_vocabulary: Optional[Dict[Text, int]] = None,
    ) -> None:
        """Construct an untrained classifier, or a trained one from its parts."""
        self.component_config = {**self.get_default_config(), **config}
        self._validate_config(self.component_config)
        self._model_storage = model_storage
        self._resource = resource
        self._execution_context = execution_context
        self.network = network
        self.labels = labels or []
        self.char_vocabulary = char_vocabulary or {}
        self.word_vocabulary = word_vocabulary or {}
        self._predict_fn: Optional[Any] = None
        if network is not None:
            self._predict_fn = self._make_predict_fn()

    @staticmethod
    def _validate_config(config: Dict[Text, Any]) -> None:
        problems = []
        if config["encoder"] not in ENCODERS:
            problems.append(f"encoder must be one of {ENCODERS}, not {config['encoder']!r}")
        for key in ("char_kernel_sizes", "word_kernel_sizes"):
            sizes = config[key]
            if not sizes or not all(isinstance(k, int) and k > 0 for k in sizes):
                problems.append(f"{key} must be a non-empty list of positive integers, not {sizes!r}")
        for key in (EPOCHS, "batch_size", "max_chars", "max_words", "min_word_count", "char_embedding_dim",
                    "char_filters", "word_embedding_dim", "word_filters", "units"):
            if not isinstance(config[key], int) or config[key] < 1:
                problems.append(f"{key} must be a positive integer, not {config[key]!r}")
        for key in ("dropout", "word_dropout"):
            if not 0 <= config[key] < 1:
                problems.append(f"{key} must be in [0, 1), not {config[key]!r}")
        if problems:
            raise InvalidConfigException("FinbotTFIntentClassifier: " + "; ".join(problems))

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> FinbotTFIntentClassifier:
        """Creates a new untrained component (see parent class for full docstring)."""
        return cls(config, model_storage, resource, execution_context)

    # ---------------------------------------------------------------- features

    @staticmethod
    def _characters(message: Message) -> List[Text]:
        return list(normalise_for_features(message.get(TEXT) or ""))

    @staticmethod
    def _words(message: Message) -> List[Text]:
        tokens = message.get(TOKENS_NAMES[TEXT])
        if tokens is None:
            # Outside a pipeline (no tokenizer ran): split the way the pipeline would.
            from bot.components.tokenizer import segment

            logger.debug("Message has no tokens; segmenting it with the mixed-language tokenizer.")
            texts = [word for word, _, _ in segment(message.get(TEXT) or "")]
        else:
            texts = [token.text for token in tokens]
        words = (normalise_for_features(text) for text in texts)
        return [word for word in words if word]

    def _encode(self, messages: Sequence[Message]) -> Tuple[np.ndarray, np.ndarray]:
        """Char ids [n, max_chars] and word ids [n, max_words], int32."""
        max_chars, max_words = self.component_config["max_chars"], self.component_config["max_words"]
        chars = np.array(
            [encode(self._characters(m), self.char_vocabulary, max_chars) for m in messages], dtype=np.int32
        ).reshape(len(messages), max_chars)
        words = np.array(
            [encode(self._words(m), self.word_vocabulary, max_words) for m in messages], dtype=np.int32
        ).reshape(len(messages), max_words)
        return chars, words

    # ---------------------------------------------------------------- training

    def _new_network(self) -> _CharWordNetwork:
        network = _CharWordNetwork(
            n_chars=len(self.char_vocabulary) + 2,
            n_words=len(self.word_vocabulary) + 2,
            n_labels=len(self.labels),
            architecture={key: self.component_config[key] for key in ARCHITECTURE_KEYS},
        )
        # Build the variables with one dummy batch so weights can be loaded or saved.
        config = self.component_config
        network(
            {
                "chars": tf.zeros((1, config["max_chars"]), tf.int32),
                "words": tf.zeros((1, config["max_words"]), tf.int32),
            },
            training=False,
        )
        return network

    def _class_weights(self, label_ids: np.ndarray) -> Optional[Dict[int, float]]:
        if not self.component_config["balance_classes"]:
            return None
        counts = np.bincount(label_ids, minlength=len(self.labels))
        return {i: float(len(label_ids) / (len(self.labels) * n)) for i, n in enumerate(counts) if n > 0}

    def _callbacks(self) -> List[tf.keras.callbacks.Callback]:
        log_root = self.component_config[TENSORBOARD_LOG_DIR]
        if not log_root:
            return []
        node = self._execution_context.node_name or self.__class__.__name__
        log_dir = Path(log_root) / node / time.strftime("%Y%m%d-%H%M%S")
        return [
            tf.keras.callbacks.TensorBoard(
                log_dir=str(log_dir), update_freq="epoch", write_graph=False, profile_batch=0, histogram_freq=0
            )
        ]

    def train(self, training_data: TrainingData) -> Resource:
        """Train on the examples' (base) intents, then persist into the model storage."""
        examples = [e for e in training_data.intent_examples if (e.get(TEXT) or "").strip()]
        labels = sorted({e.get(INTENT) for e in examples})
        if len(labels) < 2:
            logger.error(
                f"Cannot train '{self.__class__.__name__}': it needs examples of at least 2 intents, "
                f"got {len(labels)}. Skipping training of the classifier."
            )
            return self._resource

        config = self.component_config
        tf.keras.utils.set_random_seed(config[RANDOM_SEED])
        self.labels = labels
        self.char_vocabulary = build_vocabulary(c for e in examples for c in self._characters(e))
        self.word_vocabulary = build_vocabulary(
            (w for e in examples for w in self._words(e)), min_count=config["min_word_count"]
        )
        chars, words = self._encode(examples)
        label_index = {label: i for i, label in enumerate(labels)}
        label_ids = np.array([label_index[e.get(INTENT)] for e in examples], dtype=np.int32)

        self.network = self._new_network()
        self.network.compile(
            optimizer=tf.keras.optimizers.Adam(config[LEARNING_RATE]),
            loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        if config["encoder"] == "cnn":
            inputs = {"x": {"chars": chars, "words": words}, "y": label_ids, "batch_size": config["batch_size"],
                      "shuffle": True}
        else:  # one recurrent step per word column: each batch is cut to its longest message
            batches = tf.data.Dataset.from_tensor_slices(({"chars": chars, "words": words}, label_ids))
            batches = batches.shuffle(len(label_ids), seed=config[RANDOM_SEED], reshuffle_each_iteration=True)
            inputs = {"x": batches.batch(config["batch_size"]).map(_trim_batch)}
        history = self.network.fit(
            **inputs,
            epochs=config[EPOCHS],
            class_weight=self._class_weights(label_ids),
            callbacks=self._callbacks(),
            verbose=0,
        )
        logger.info(
            f"Trained {self.__class__.__name__} on {len(examples)} examples of {len(labels)} intents: "
            f"last epoch loss {history.history['loss'][-1]:.4f}, accuracy {history.history['accuracy'][-1]:.3f}."
        )
        self._predict_fn = self._make_predict_fn()
        self.persist()
        return self._resource

    # ---------------------------------------------------------------- inference

    def _make_predict_fn(self) -> Any:
        """One traced graph for every batch size: probabilities [n, n_labels].

        Traced here, once, when the model is trained or loaded (a GRU/LSTM
        takes seconds to trace), so the first customer message does not pay
        for it. Calling the concrete function skips tf.function's argument
        matching and its retracing bookkeeping.
        """
        network = self.network
        config = self.component_config

        @tf.function(
            input_signature=[
                tf.TensorSpec([None, config["max_chars"]], tf.int32),
                tf.TensorSpec([None, None], tf.int32),  # words cut to the longest message (_trim_padding)
            ]
        )
        def predict(chars: tf.Tensor, words: tf.Tensor) -> tf.Tensor:
            return tf.nn.softmax(network({"chars": chars, "words": words}, training=False), axis=-1)

        return predict.get_concrete_function()

    def predict_probabilities(self, messages: Sequence[Message]) -> np.ndarray:
        """Intent probabilities [len(messages), len(self.labels)], one forward pass per chunk."""
        if self._predict_fn is None:
            raise RasaException(f"{self.__class__.__name__} is not trained.")
        parts = []
        for start in range(0, len(messages), _PREDICT_CHUNK):
            chars, words = self._encode(messages[start : start + _PREDICT_CHUNK])
            parts.append(self._predict_fn(tf.constant(chars), tf.constant(_trim_padding(words))).numpy())
        if not parts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        return np.concatenate(parts, axis=0)

    def _ranking(self, probabilities: np.ndarray) -> List[Dict[Text, Any]]:
        order = np.argsort(-probabilities, kind="stable")
        length = self.component_config[RANKING_LENGTH]
        if length > 0:
            order = order[:length]
        return [{"name": self.labels[i], "confidence": float(probabilities[i])} for i in order]

    def process(self, messages: List[Message]) -> List[Message]:
        """Set "intent" {name, confidence} and "intent_ranking" on each message, in one batch.

        A message without text gets intent name None with confidence 0.0 and an
        empty ranking, as DIET does when it has nothing to classify. An
        untrained classifier (training was skipped) leaves messages untouched.
        """
        if self._predict_fn is None:
            logger.debug(f"{self.__class__.__name__} has no trained model; leaving intents as they are.")
            return messages
        with_text = [m for m in messages if isinstance(m.get(TEXT), str) and m.get(TEXT).strip()]
        probabilities = self.predict_probabilities(with_text)
        weight = self.component_config.get("ensemble_weight")
        for message, row in zip(with_text, probabilities):
            if weight is not None:
                row = self._blend_with_previous(row, message, float(weight))
            if self.component_config.get("unknown_words_fallback") and self._only_unknown_latin_words(message):
                row = np.zeros_like(row)
            ranking = self._ranking(row)
            message.set(INTENT, dict(ranking[0]), add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        for message in messages:
            if not (isinstance(message.get(TEXT), str) and message.get(TEXT).strip()):
                message.set(INTENT, {"name": None, "confidence": 0.0}, add_to_output=True)
                message.set("intent_ranking", [], add_to_output=True)
        return messages

    def _only_unknown_latin_words(self, message: Message) -> bool:
        """Two or more words, all Latin letters, none in the training vocabulary."""
        words = self._words(message)
        return (
            len(words) >= 2
            and all(_LATIN_LETTERS.fullmatch(word) for word in words)
            and not any(word in self.word_vocabulary for word in words)
        )

    def _blend_with_previous(self, row: np.ndarray, message: Message, weight: float) -> np.ndarray:
        """Average our probabilities with the ranking an earlier classifier left on the message."""
        previous = message.get("intent_ranking") or []
        if not previous:
            return row
        theirs = np.zeros_like(row)
        index = {label: i for i, label in enumerate(self.labels)}
        for item in previous:
            position = index.get(item.get("name"))
            if position is not None:
                theirs[position] = float(item.get("confidence") or 0.0)
        return weight * row + (1.0 - weight) * theirs

    # ---------------------------------------------------------------- persistence

    def persist(self) -> None:
        """Write weights and metadata into this component's resource."""
        if self.network is None:
            return
        with self._model_storage.write_to(self._resource) as directory:
            self.network.save_weights(str(directory / WEIGHTS_FILE))
            metadata = {
                "format_version": FORMAT_VERSION,
                "tensorflow_version": tf.__version__,
                "labels": self.labels,
                "char_vocabulary": self.char_vocabulary,
                "word_vocabulary": self.word_vocabulary,
                "architecture": {key: self.component_config[key] for key in ARCHITECTURE_KEYS},
            }
            (directory / METADATA_FILE).write_text(json.dumps(metadata, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> FinbotTFIntentClassifier:
        """Loads the trained component (see parent class for full docstring).

        No persisted resource (training was skipped) gives an untrained
        component, as Rasa's own classifiers do; a resource that exists but
        cannot be read raises ModelLoadError rather than serving silently
        without a model.
        """
        try:
            with model_storage.read_from(resource) as directory:
                try:
                    return cls._load_from_directory(directory, config, model_storage, resource, execution_context)
                except Exception as error:
                    raise ModelLoadError(f"Cannot load {cls.__name__} from '{directory}': {error}") from error
        except ValueError:
            logger.debug(f"No persisted {cls.__name__} for resource '{resource.name}'; it is untrained.")
            return cls(config, model_storage, resource, execution_context)

    @classmethod
    def _load_from_directory(
        cls,
        directory: Path,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> FinbotTFIntentClassifier:
        metadata = json.loads((directory / METADATA_FILE).read_text(encoding="utf-8"))
        if metadata["format_version"] != FORMAT_VERSION:
            raise ModelLoadError(f"unsupported format_version {metadata['format_version']}")
        # The network must be the one the weights were trained for.
        config = {**config, **metadata["architecture"]}
        component = cls(
            config,
            model_storage,
            resource,
            execution_context,
            labels=metadata["labels"],
            char_vocabulary=metadata["char_vocabulary"],
            word_vocabulary=metadata["word_vocabulary"],
        )
        network = component._new_network()
        network.load_weights(str(directory / WEIGHTS_FILE))
        component.network = network
        component._predict_fn = component._make_predict_fn()
        return component
