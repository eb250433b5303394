"""The recommender as a service over the database: what the API and the bot call.

Reads a customer's accounts and transactions, runs the pure pipeline steps
(categorise -> features -> capacity -> suitability -> allocation ->
explanation) and appends every recommendation to the audit trail. All
questions about "today" go through one clock so tests and conversation
fixtures can fix the date.
"""
from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import Callable

import pandas as pd
from sqlalchemy.engine import Engine

from recommender import questionnaire
from recommender.categorise import categorise
from recommender.features import compute_features, window_bounds
from recommender.features_types import CustomerFeatures
from recommender.pipeline import Assessment, RecommendationRequest, RecommendationResult, recommend
from recommender.policy import DEFAULT_POLICY, RecommenderPolicy
from recommender.store import audit, repositories
from recommender.summaries import income_summary, previous_period, spending_summary
from recommender.version import code_version


class UnknownCustomer(LookupError):
    """No customer with this id."""


class CatalogueMissing(RuntimeError):
    """No fund catalogue has been loaded (run `finbot setup` or `finbot catalogue`)."""


@dataclass(frozen=True)
class AuditedRecommendation:
    result: RecommendationResult
    audit_id: int
    audit_hash: str


_MISSING = object()
_RESULTS_PER_WINDOW = 32  # summaries kept per window (periods and categories asked about)


@dataclass
class _Window:
    """A categorised window as of ``signature``, and the summaries computed from it since."""
    signature: tuple
    frame: pd.DataFrame
    results: OrderedDict = field(default_factory=OrderedDict)


class RecommenderService:
    """One per process; thread-safe. ``today`` is the clock (a callable).

    ``categorised_cache_size``: categorised transaction windows kept in memory
    (0: none). Loading and categorising one window of a demo customer (about
    1,000 transactions a year) takes about 50 ms, a quarter of the average chat
    turn's CPU in the serving benchmark's conversations (cProfile), and a
    customer's next question usually reads the same window. An entry is used
    only while the window's transactions signature and the customer's accounts
    are unchanged (checked on every call), so an import or an erasure is seen
    at once. The spending and income summaries and the features computed from
    a window are kept with it (10-20 ms each in pandas, most of a spending
    question's turn) and go when it goes.
    """

    def __init__(self, engine: Engine, policy: RecommenderPolicy = DEFAULT_POLICY,
                 today: Callable[[], date] = date.today, categorised_cache_size: int = 256):
        self.engine = engine
        self.policy = policy
        self.today = today
        self._catalogue: pd.DataFrame | None = None
        self._lock = threading.Lock()
        self._categorised_cache_size = categorised_cache_size
        self._categorised: OrderedDict[tuple, _Window] = OrderedDict()

    # ---- reference data ---------------------------------------------------------

    def catalogue(self) -> pd.DataFrame:
        """The stored fund catalogue, cached until its version changes."""
        version = repositories.current_catalogue_version(self.engine)
        if version is None:
            raise CatalogueMissing("no fund catalogue loaded; run `finbot setup` or `finbot catalogue`")
        with self._lock:
            if self._catalogue is None or self._catalogue.attrs.get("catalogue_version") != version:
                self._catalogue = repositories.catalogue_frame(self.engine)
            return self._catalogue

    # ---- one customer's data ------------------------------------------------------

    def customer(self, customer_id: str) -> repositories.CustomerRecord:
        record = repositories.get_customer(self.engine, customer_id)
        if record is None:
            raise UnknownCustomer(customer_id)
        return record

    def accounts(self, customer_id: str) -> pd.DataFrame:
        self.customer(customer_id)
        return repositories.accounts_frame(self.engine, customer_id)

    def categorised(self, customer_id: str, start: date | None = None,
                    end: date | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(categorised transactions, accounts) of one customer; the frames are the caller's own."""
        if self._categorised_cache_size <= 0:
            accounts = self.accounts(customer_id)
            transactions = repositories.transactions_frame(self.engine, customer_id, start, end)
            return categorise(transactions, accounts, self.policy.categorisation), accounts
        window, accounts = self._window(customer_id, start, end)
        return window.frame.copy(), accounts

    def _window(self, customer_id: str, start: date | None, end: date | None) -> tuple["_Window", pd.DataFrame]:
        """The kept window for these dates, checked against the database (see the class docstring)."""
        accounts = self.accounts(customer_id)
        key = (customer_id, start, end)
        # categorising reads the accounts' ids, owners and types (own-account transfers)
        signature = (repositories.transactions_signature(self.engine, customer_id, start, end),
                     tuple(accounts[["account_id", "customer_id", "account_type"]].itertuples(index=False,
                                                                                          name=None)))
        with self._lock:
            cached = self._categorised.get(key)
            if cached is not None and cached.signature == signature:
                self._categorised.move_to_end(key)
                return cached, accounts
        transactions = repositories.transactions_frame(self.engine, customer_id, start, end)
        window = _Window(signature, categorise(transactions, accounts, self.policy.categorisation))
        with self._lock:
            # stored under the signature read before the rows: a change in between is seen next time
            self._categorised[key] = window
            self._categorised.move_to_end(key)
            while len(self._categorised) > self._categorised_cache_size:
                self._categorised.popitem(last=False)
        return window, accounts

    def _summarised(self, customer_id: str, start: date, end: date, question: tuple,
                    compute: Callable[[pd.DataFrame, pd.DataFrame], object], reads_balances: bool = False):
        """``compute(categorised, accounts)`` for the window [start, end], kept with the window.

        ``question`` names the result: what was asked, with every argument
        ``compute`` uses besides the window's transactions and the accounts'
        ids, owners and types. ``reads_balances``: the result also depends on
        the accounts' balances, which are then part of its name. A kept result
        is used only while its window is, so an import or an erasure is seen at
        once; callers get a copy.
        """
        if self._categorised_cache_size <= 0:
            categorised, accounts = self.categorised(customer_id, start, end)
            return compute(categorised, accounts)
        window, accounts = self._window(customer_id, start, end)
        if reads_balances:
            question += (tuple(accounts.itertuples(index=False, name=None)),)
        with self._lock:
            kept = window.results.get(question, _MISSING)
        if kept is _MISSING:
            kept = compute(window.frame.copy(), accounts)
            with self._lock:
                window.results[question] = kept
                while len(window.results) > _RESULTS_PER_WINDOW:
                    window.results.popitem(last=False)
        return copy.deepcopy(kept)

    def features(self, customer_id: str, as_of: date | None = None) -> CustomerFeatures:
        as_of = as_of or self.today()
        start, _ = window_bounds(as_of, self.policy.features.window_months)
        # the emergency-fund and risk-capacity features read the accounts' balances
        return self._summarised(customer_id, start, as_of, ("features", as_of),
                                lambda categorised, accounts: compute_features(categorised, accounts, as_of,
                                                                               self.policy.features),
                                reads_balances=True)

    def spending(self, customer_id: str, start: date, end: date, category: str | None = None,
                 top_n: int = 3) -> dict:
        return self._summarised(customer_id, previous_period(start, end)[0], end,
                                ("spending", start, end, category, top_n),
                                lambda categorised, _: spending_summary(categorised, start, end, category=category,
                                                                        top_n=top_n))

    def income(self, customer_id: str, start: date, end: date) -> dict:
        return self._summarised(customer_id, previous_period(start, end)[0], end, ("income", start, end),
                                lambda categorised, _: income_summary(categorised, start, end))

    # ---- risk questionnaire ------------------------------------------------------------

    def assessment(self, customer_id: str) -> repositories.AssessmentRecord | None:
        self.customer(customer_id)
        return repositories.latest_assessment(self.engine, customer_id)

    def record_questionnaire(self, customer_id: str, answers: dict[str, str],
                             channel: str = "chat") -> repositories.AssessmentRecord:
        """Score the answers (ValueError names a missing/unknown answer) and store the result."""
        self.customer(customer_id)
        score = questionnaire.score_answers(answers)
        assessed_at = datetime.combine(self.today(), datetime.now(timezone.utc).time(), tzinfo=timezone.utc)
        repositories.add_assessment(
            self.engine, customer_id, answers=dict(answers), risk_level=score.risk_level,
            total_points=score.total_points, assessed_at=assessed_at,
            validity_days=self.policy.questionnaire_validity_days,
            questionnaire_version=questionnaire.QUESTIONNAIRE_VERSION, channel=channel)
        return repositories.latest_assessment(self.engine, customer_id)

    # ---- recommendation --------------------------------------------------------------

    def recommend(self, customer_id: str, request: RecommendationRequest,
                  channel: str = "api") -> AuditedRecommendation:
        """Run the pipeline for one customer and append the result to the audit trail."""
        today = self.today()
        features = self.features(customer_id, today)
        stored = self.assessment(customer_id)
        assessment = None
        if stored is not None:
            assessment = Assessment(stored.assessment_id, stored.risk_level, stored.assessed_at.date(),
                                    stored.expires_at.date())
        catalogue = self.catalogue()
        result = recommend(features, assessment, catalogue, request, today, self.policy)
        output = result.to_dict()
        entry = audit.append_record(
            self.engine, customer_id=customer_id, channel=channel,
            request={"amount_cents": request.amount_cents, "horizon_months": request.horizon_months,
                     "fund_type": request.fund_type, "as_of": today.isoformat()},
            features=features.to_dict(),
            assessment_id=stored.assessment_id if stored else None,
            questionnaire_level=result.questionnaire_level, effective_level=result.effective_level,
            catalogue_version=result.catalogue_version, policy_fingerprint=result.policy_fingerprint,
            decisions=output.pop("decisions"), output=output, code_version=code_version())
        return AuditedRecommendation(result, entry.id, entry.record_hash)


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)
