"""This app's open datasets: importing this module registers them (qyzmet.core.open_datasets).

`dialogue-questions-monthly`: per agency and month the question was received — questions
received, published, answered, answered within the deadline, the median working days to an
answer, the mean rating and the number of ratings. Every count below K_ANONYMITY (but above
zero) is published empty (`suppress_small`); a month with fewer than K_ANONYMITY ratings
publishes neither their count nor their mean. No question text,
title, answer or asker is ever in it."""

from __future__ import annotations

from collections.abc import Iterable

from qyzmet.core.open_datasets import Publisher, Row, register, suppress_small

NAME = "dialogue-questions-monthly"

SCHEMA = {
    "fields": [
        {"name": "organisation", "type": "string", "title": "Agency code",
         "constraints": {"required": True}},
        {"name": "month", "type": "yearmonth", "title": "Month the questions were received",
         "constraints": {"required": True}},
        {"name": "questions_received", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "questions_published", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "questions_answered", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "answered_in_time", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "median_working_days_to_answer", "type": "number",
         "constraints": {"minimum": 0}},
        {"name": "mean_rating", "type": "number",
         "constraints": {"minimum": 1, "maximum": 5}},
        {"name": "ratings", "type": "integer", "constraints": {"minimum": 0}},
    ],
    "primaryKey": ["organisation", "month"],
    "missingValues": [""],
}  # fmt: skip


def rows() -> Iterable[Row]:
    from . import selectors

    for g in selectors.monthly_figures():
        ratings = g["ratings"]
        count = suppress_small(len(ratings))
        mean = round(sum(ratings) / len(ratings), 2) if ratings and count else None
        yield {
            "organisation": g["organisation"],
            "month": g["month"],
            "questions_received": suppress_small(g["received"]),
            "questions_published": suppress_small(g["published"]),
            "questions_answered": suppress_small(g["answered"]),
            "answered_in_time": suppress_small(g["in_time"]),
            "median_working_days_to_answer": g["median_days"],
            "mean_rating": mean,
            "ratings": count,
        }


register(Publisher(
    name=NAME,
    organisation="",
    title={
        "kk": "Ашық диалог: мемлекеттік органдардың басшыларына қойылған сұрақтар мен "
              "жауаптар, айлар бойынша",
        "ru": "Открытый диалог: вопросы руководителям государственных органов и ответы на них "
              "по месяцам",
        "en": "Open dialogue: questions to the heads of agencies and their answers, by month",
    },
    description={
        "kk": "Әр орган мен ай бойынша: түскен, жарияланған, жауап берілген және мерзімінде "
              "жауап берілген сұрақтар, жауапқа дейінгі жұмыс күндерінің медианасы, орташа баға "
              "және бағалар саны (5-тен аз баға жарияланбайды).",
        "ru": "По каждому органу и месяцу: поступившие, опубликованные, отвеченные и отвеченные "
              "в срок вопросы, медиана рабочих дней до ответа, средняя оценка и число оценок "
              "(меньше 5 оценок не публикуются).",
        "en": "Per agency and month: questions received, published, answered and answered in "
              "time, the median working days to an answer, the mean rating and the number of "
              "ratings (fewer than 5 ratings are not published).",
    },
    schema=SCHEMA,
    rows=rows,
    tags=("open-dialogue", "questions", "ratings"),
))
