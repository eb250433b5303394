"""The recommender served over a real database loaded with the demo personas:
persona outcomes, the audit trail, and the REST routes' shapes and errors."""
from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import ApiSettings
from recommender.demo import generate_demo_data
from recommender.pipeline import RecommendationRequest
from recommender.schema import level_number
from recommender.seed import load_catalogue, load_demo_data
from recommender.service import RecommenderService, UnknownCustomer
from recommender.store import audit
from recommender.store.db import migrate, open_database

TODAY = date(2026, 3, 15)


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    """One database with the demo personas, shared by this module (read-mostly)."""
    folder = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{folder / 'finbot.db'}"
    engine = open_database(url)
    migrate(engine)
    load_catalogue(engine)
    load_demo_data(engine, generate_demo_data(seed=42, months=12, as_of=TODAY))
    engine.dispose()
    return url, folder


@pytest.fixture(scope="module")
def service(demo_url):
    engine = open_database(demo_url[0])
    yield RecommenderService(engine, today=lambda: TODAY)
    engine.dispose()


@pytest.fixture(scope="module")
def client(demo_url):
    from api.security import create_api_key

    settings = ApiSettings(database_url=demo_url[0], data_dir=demo_url[1], today=TODAY.isoformat(), load_bot=False)
    engine = open_database(demo_url[0])
    key, _ = create_api_key(engine, "service tests", ["customers:read", "customers:write", "audit:read"])
    engine.dispose()
    with TestClient(create_app(settings), headers={"X-API-Key": key}) as test_client:
        yield test_client


def _recommend(service, customer, amount_cny, horizon_months):
    amount = None if amount_cny is None else amount_cny * 100
    return service.recommend(customer, RecommendationRequest(amount, horizon_months), channel="test")


def test_overspender_gets_only_a_buffer_and_is_told_why(service):
    audited = _recommend(service, "overspender", 20_000, 36)
    result = audited.result
    assert result.status == "ok"
    assert {h.fund_type for h in result.holdings} == {"money_market"}
    assert all(h.risk_rating == "R1" for h in result.holdings)
    assert {"EMERGENCY_FUND_FIRST", "NEGATIVE_SURPLUS"} <= set(result.reason_codes())
    first = next(r for r in result.reasons if r.code == "EMERGENCY_FUND_FIRST")
    assert "应急资金" in first.text["zh"] and "money-market" in first.text["en"]


def test_retiree_gets_nothing_above_their_level(service):
    result = _recommend(service, "retiree", 100_000, 60).result
    assert result.questionnaire_level == "C2"
    assert result.holdings and all(level_number(h.risk_rating) <= 2 for h in result.holdings)


def test_freelancer_needs_a_larger_emergency_fund(service):
    features = service.features("freelancer")
    saver = service.features("salaried_saver")
    assert features.emergency_fund_target_months > saver.emergency_fund_target_months
    result = _recommend(service, "freelancer", 50_000, 60).result
    assert "EMERGENCY_TARGET_RAISED" in result.reason_codes()


def test_high_earner_with_c5_gets_a_diversified_growth_mix(service):
    result = _recommend(service, "high_earner", 500_000, 120).result
    assert result.effective_level == "C5"
    types = {h.fund_type for h in result.holdings}
    assert len(types) >= 3 and types & {"equity", "index", "qdii"}
    total = result.amount_allocated_cents
    for holding in result.holdings:
        if holding.fund_type not in ("money_market", "index"):
            assert holding.amount_cents * 5 <= total, "no single active fund above 20%"


def test_expired_questionnaire_means_no_products(service):
    result = _recommend(service, "student", 1_000, 12).result
    assert result.status == "needs_questionnaire" and result.holdings == ()


def test_every_recommendation_is_audited_and_the_chain_verifies(service):
    audited = _recommend(service, "salaried_saver", None, 36)
    entry = audit.get_record(service.engine, audited.audit_id)
    assert entry.record_hash == audited.audit_hash
    content = entry.content
    assert content["customer_id"] == "salaried_saver"
    assert content["assessment_id"] is not None and content["questionnaire_level"] == "C3"
    assert content["features"]["as_of"] == TODAY.isoformat()
    assert content["catalogue_version"] == service.catalogue().attrs["catalogue_version"]
    assert {d["fund_code"] for d in content["decisions"]} == set(service.catalogue()["fund_code"])
    assert sum(h["amount_cents"] for h in content["output"]["holdings"]) == \
        content["output"]["amount_allocated_cents"]
    assert audit.verify_chain(service.engine).first_broken_id is None


def test_questionnaire_answers_are_scored_stored_and_then_used(service):
    from recommender.questionnaire import QUESTIONS

    cautious = {q.id: min(q.options, key=lambda o: o.points).id for q in QUESTIONS}
    record = service.record_questionnaire("student", cautious, channel="test")
    assert record.risk_level == "C1" and record.is_valid_on(TODAY)
    result = _recommend(service, "student", 1_000, 12).result
    assert result.status != "needs_questionnaire"
    assert all(level_number(h.risk_rating) <= 1 for h in result.holdings)
    with pytest.raises(ValueError):
        service.record_questionnaire("student", {"nonsense": "x"})


def test_unknown_customer_is_an_error_not_an_empty_answer(service):
    with pytest.raises(UnknownCustomer):
        service.features("nobody")


# ---- REST ------------------------------------------------------------------------------


def test_spending_route_defaults_to_last_month_and_compares(client):
    body = client.get("/v1/customers/salaried_saver/spending").json()
    assert (body["start"], body["end"]) == ("2026-02-01", "2026-02-28")
    assert body["total_cents"] == sum(body["by_category"].values())
    assert body["previous_period"]["start"] == "2026-01-01"
    dining = client.get("/v1/customers/salaried_saver/spending",
                        params={"start": "2026-02-01", "end": "2026-02-28", "category": "dining"}).json()
    assert 0 < dining["total_cents"] <= body["total_cents"]


def test_income_and_features_routes(client):
    income = client.get("/v1/customers/salaried_saver/income",
                        params={"start": "2026-01-01", "end": "2026-02-28"}).json()
    assert income["by_category"].get("salary", 0) > 0
    features = client.get("/v1/customers/salaried_saver/features").json()
    assert set(features["features"]) == set(features["units"])


def test_balances_sum_per_currency(client):
    body = client.get("/v1/customers/high_earner/balances").json()
    assert body["total_by_currency_cents"]["CNY"] == sum(a["balance_cents"] for a in body["accounts"])


def test_recommendation_route_returns_audit_id_and_record(client):
    created = client.post("/v1/customers/retiree/recommendations",
                          json={"amount_cny": "50000.00", "horizon_months": 36})
    assert created.status_code == 201
    body = created.json()
    assert body["recommendation"]["amount_requested_cents"] == 5_000_000
    record = client.get(f"/v1/recommendations/{body['audit_id']}").json()
    assert record["record_hash"] == body["audit_hash"]
    assert client.get("/v1/audit/verify").json()["intact"] is True


@pytest.mark.parametrize("path,payload,status,words", [
    ("/v1/customers/retiree/recommendations", {"horizon_months": 0}, 422, "greater than or equal to 1"),
    ("/v1/customers/retiree/recommendations", {"horizon_months": 12, "amount_cny": "1.001"}, 422, "decimal places"),
    ("/v1/customers/retiree/recommendations", {"horizon_months": 12, "amount_cny": "-5"}, 422, "greater than"),
    ("/v1/customers/retiree/recommendations", {"horizon_months": 12, "fund_type": "crypto"}, 422, "unknown fund type"),
    ("/v1/customers/retiree/recommendations", {"horizon_months": 12, "surprise": 1}, 422, "extra fields"),
    ("/v1/customers/nobody/recommendations", {"horizon_months": 12}, 404, "no customer"),
    ("/v1/customers/retiree/risk-assessments", {"answers": {"age": "nope"}}, 422, ""),
])
def test_bad_requests_get_4xx_with_a_message(client, path, payload, status, words):
    response = client.post(path, json=payload)
    assert response.status_code == status
    assert words in str(response.json()["detail"])


def test_bad_query_parameters_get_4xx(client):
    assert client.get("/v1/customers/retiree/spending", params={"category": "crypto"}).status_code == 422
    assert client.get("/v1/customers/retiree/spending", params={"start": "2026-02-01"}).status_code == 422
    assert client.get("/v1/customers/retiree/spending",
                      params={"start": "2026-02-10", "end": "2026-02-01"}).status_code == 422
    assert client.get("/v1/recommendations/999999").status_code == 404
    assert client.get("/v1/funds/000000").status_code == 404


def test_catalogue_and_questionnaire_routes(client):
    funds = client.get("/v1/funds").json()
    assert len(funds["funds"]) >= 40 and all(f["synthetic"] for f in funds["funds"])
    code = funds["funds"][0]["fund_code"]
    assert client.get(f"/v1/funds/{code}").json()["fund_code"] == code
    questions = client.get("/v1/questionnaire").json()["questions"]
    assert 6 <= len(questions) <= 8


def test_openapi_documents_the_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    for route in ("/v1/customers/{customer_id}/spending", "/v1/customers/{customer_id}/recommendations",
                  "/v1/recommendations/{record_id}", "/health"):
        assert route in paths
