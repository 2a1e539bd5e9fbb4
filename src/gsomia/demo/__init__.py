"""The demo: the Korea–Japan GSOMIA replayed from 2016 to 2023 on two fresh registries.

Its story (exchanges, dates, people, texts) is data (`story.yaml`); `play` tells it against
real registries; `forgery` holds what an attacker would try, shared with the tests.
"""
