"""finbot's custom actions (rasa_sdk). Importing this package registers them all,
for `rasa run actions --actions bot.actions` and for the in-process executor."""
from bot.actions import advice, money, purchase, questionnaire, service_desk, session  # noqa: F401
