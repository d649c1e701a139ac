"""How numbers read in every answer of the API, as types its description documents.

Money is a decimal string with its currency's minor-unit places (``"1284.57"``, ``"-25.00"``,
``"1200"`` for yen), the currency's ISO 4217 code beside it; a measured figure is money so
or a count to two places; a ratio (attainment, a share of a target) is a fraction to four
places (``"0.1285"`` for 12.85%), never a percentage. Strings, not JSON numbers, so that no
client reads an amount through a binary float.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

DECIMAL = r"^-?\d+(\.\d+)?$"
RATIO = r"^-?\d+\.\d{4}$"

Money = Annotated[
    str,
    msgspec.Meta(
        pattern=DECIMAL,
        description="An amount in the currency beside it, to that currency's minor-unit places",
        examples=["1284.57"],
    ),
]
Figure = Annotated[
    str,
    msgspec.Meta(
        pattern=DECIMAL,
        description="A measured value: money to its currency's places, a count to two",
        examples=["457067.00"],
    ),
]
Ratio = Annotated[
    str,
    msgspec.Meta(
        pattern=RATIO,
        description="A fraction to four places: 0.1285 is 12.85%",
        examples=["0.6331"],
    ),
]
CurrencyCode = Annotated[
    str, msgspec.Meta(pattern="^[A-Z]{3}$", description="ISO 4217", examples=["USD"])
]
