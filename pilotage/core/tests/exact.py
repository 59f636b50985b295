"""Reading the API's answers as a client that keeps every digit does."""

import json
from decimal import Decimal


def exact_json(response) -> object:
    """The body of an API answer, its numbers as written (`Decimal`, never a float), as
    the API's description tells clients to read them."""
    return json.loads(response.content, parse_float=Decimal)


def agrees(text: str, value: object) -> bool:
    """A file's cell says what the API's value says: a number as a decimal equal to it
    (a file may keep the storage's trailing zeros, "3000.50" for 3000.5), null as an
    empty cell, anything else as its text."""
    if value is None:
        return text == ""
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return text != "" and Decimal(text) == value
    return text == str(value)
