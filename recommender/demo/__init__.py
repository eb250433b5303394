"""Synthetic demo data: six named personas (``generate_demo_data``) and a large
random population for benchmarks (``generate_population``). Everything here
is invented; no real customer, merchant account or fund is described."""
from recommender.demo.generator import DemoData, generate_demo_data
from recommender.demo.personas import PERSONA_IDS
from recommender.demo.population import generate_population

__all__ = ["DemoData", "generate_demo_data", "generate_population", "PERSONA_IDS"]
