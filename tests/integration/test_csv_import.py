"""CSV import on a real PostgreSQL: canonical files and the Salesforce and HubSpot exports."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives import cli
from incentives.db.connection import driver_transaction, normalise_url
from incentives.ingest.csv_import import ImportFailed, ImportSummary, import_csv

DATA = Path(__file__).parent.parent / "data"


async def load(engine: AsyncEngine, kind: str, path: Path, **options: Any) -> ImportSummary:
    return await import_csv(engine, kind, path, **options)


async def counts(engine: AsyncEngine) -> tuple[int, int, int]:
    async with driver_transaction(engine) as conn:
        row = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM deals), (SELECT count(*) FROM deal_splits),"
            " (SELECT count(*) FROM audit_log)"
        )
        assert row is not None
        return row[0], row[1], row[2]


async def deals_by_id(engine: AsyncEngine) -> dict[str, dict[str, Any]]:
    async with driver_transaction(engine) as conn:
        rows = await conn.fetch(
            "SELECT d.external_id, p.external_id AS owner, d.amount_minor, d.currency,"
            " d.close_date::text AS close_date, d.status, d.product, d.attributes"
            " FROM deals d JOIN participants p ON p.id = d.owner_id"
        )
    return {r["external_id"]: dict(r) for r in rows}


def write(tmp_path: Path, text: str, name: str = "file.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


async def test_canonical_participants_and_deals(db: AsyncEngine) -> None:
    people = await load(db, "participants", DATA / "participants.csv")
    assert (people.format, people.rows, people.created) == ("canonical", 4, 4)
    deals = await load(db, "deals", DATA / "deals.csv")
    assert (deals.format, deals.rows, deals.created, deals.updated) == ("canonical", 6, 6, 0)

    found = await deals_by_id(db)
    assert found["D-1001"]["amount_minor"] == 1250050
    assert found["D-1001"]["attributes"] == {"region": "East", "lead_source": "Web"}
    assert found["D-1005"]["attributes"] == {}
    assert found["D-1006"]["product"] == "platform, enterprise"
    assert found["D-1004"]["status"] == "cancelled"
    async with driver_transaction(db) as conn:
        splits = await conn.fetch(
            "SELECT d.external_id, p.external_id, s.percent::text FROM deal_splits s"
            " JOIN deals d ON d.id = s.deal_id JOIN participants p ON p.id = s.participant_id"
            " ORDER BY 1, 2"
        )
    assert [tuple(r) for r in splits] == [
        ("D-1002", "ana", "40.000000"),
        ("D-1002", "bo", "60.000000"),
        ("D-1006", "ana", "33.500000"),
        ("D-1006", "bo", "33.500000"),
        ("D-1006", "lee", "33.000000"),
    ]


async def test_salesforce_report_export(db: AsyncEngine) -> None:
    await load(db, "participants", DATA / "participants.csv")
    summary = await load(db, "deals", DATA / "salesforce_opportunities.csv")
    # The four opportunities; the report's footer lines are not rows.
    assert (summary.format, summary.rows, summary.created) == ("salesforce", 4, 4)

    found = await deals_by_id(db)
    owners = {k: (v["owner"], v["amount_minor"], v["currency"], v["close_date"], v["status"])
              for k, v in found.items()}  # fmt: skip
    assert owners == {
        "0065g00000XyZ1aAAF": ("ana", 1250050, "USD", "2026-03-31", "won"),
        "0065g00000XyZ2bAAF": ("bo", 2400000, "USD", "2026-02-14", "won"),
        "0065g00000XyZ3cAAF": ("mia", 800000, "EUR", "2026-01-09", "lost"),
        "0065g00000XyZ4dAAF": ("ana", 310010, "USD", "2026-04-30", "open"),
    }
    acme = found["0065g00000XyZ1aAAF"]
    assert acme["product"] == "Platform"
    assert acme["attributes"] == {
        "account_name": "Acme Corp",
        "opportunity_name": "Acme - Platform renewal",
        "type": "Existing Business",
        "stage": "Closed Won",
        "fiscal_period": "Q1-2026",
        "probability": "100",
        "created_date": "1/5/2026",
        "lead_source": "Web",
    }
    assert found["0065g00000XyZ4dAAF"]["attributes"]["stage"] == "Negotiation/Review"
    assert found["0065g00000XyZ4dAAF"]["product"] is None


async def test_hubspot_deals_export(db: AsyncEngine) -> None:
    await load(db, "participants", DATA / "participants.csv")
    summary = await load(db, "deals", DATA / "hubspot_deals.csv")
    assert (summary.format, summary.rows, summary.created) == ("hubspot", 4, 4)

    found = await deals_by_id(db)
    owners = {k: (v["owner"], v["amount_minor"], v["currency"], v["close_date"], v["status"])
              for k, v in found.items()}  # fmt: skip
    assert owners == {
        "18273645001": ("ana", 1250050, "USD", "2026-03-31", "won"),
        "18273645002": ("bo", 2400000, "USD", "2026-02-14", "won"),
        "18273645003": ("mia", 800000, "EUR", "2026-01-09", "lost"),
        "18273645004": ("ana", 310010, "USD", "2026-04-30", "open"),
    }
    assert found["18273645001"]["attributes"] == {
        "deal_name": "Acme renewal",
        "deal_stage": "Closed Won",
        "pipeline": "Sales Pipeline",
        "deal_type": "existingbusiness",
        "create_date": "2026-01-05 10:22",
        "associated_company": "Acme Corp",
    }
    assert found["18273645004"]["attributes"]["deal_stage"] == "Contract Sent"


@pytest.mark.parametrize("name", ["deals.csv", "salesforce_opportunities.csv", "hubspot_deals.csv"])
async def test_importing_the_same_file_again_changes_nothing(db: AsyncEngine, name: str) -> None:
    await load(db, "participants", DATA / "participants.csv")
    first = await load(db, "deals", DATA / name)
    before = await counts(db)
    again = await load(db, "deals", DATA / name)
    assert (again.created, again.updated, again.unchanged) == (0, 0, first.created)
    assert await counts(db) == before
    # Chunking does not change the outcome either.
    small = await load(db, "deals", DATA / name, chunk_rows=2)
    assert (small.created, small.updated, small.unchanged) == (0, 0, first.created)


async def test_a_bad_row_names_its_line_and_column_and_nothing_is_written(
    db: AsyncEngine, tmp_path: Path
) -> None:
    await load(db, "participants", DATA / "participants.csv")
    await load(db, "deals", DATA / "deals.csv")
    before = await counts(db)
    lines = (DATA / "salesforce_opportunities.csv").read_text().splitlines()
    # Line 3 gets an owner nobody is called; line 5 an impossible date.
    lines[2] = lines[2].replace('"Bo Chen"', '"Bob Nobody"')
    lines[4] = lines[4].replace('"2026-04-30"', '"4/31/2026"')
    path = write(tmp_path, "\n".join(lines) + "\n")

    # Cells that do not convert are reported first; fix them and the rest shows.
    with pytest.raises(ImportFailed) as caught:
        await load(db, "deals", path)
    assert [str(p) for p in caught.value.problems] == [
        "line 5, column 'Close Date': '4/31/2026' is not a date (M/D/YYYY or YYYY-MM-DD)"
    ]
    lines[4] = lines[4].replace('"4/31/2026"', '"4/30/2026"')
    with pytest.raises(ImportFailed) as caught:
        await load(db, "deals", write(tmp_path, "\n".join(lines) + "\n"))
    assert [str(p) for p in caught.value.problems] == [
        "line 3, column 'Opportunity Owner': unknown participant 'Bob Nobody'"
    ]
    assert await counts(db) == before


async def test_a_bad_row_in_a_later_chunk_undoes_the_earlier_chunks(
    db: AsyncEngine, tmp_path: Path
) -> None:
    await load(db, "participants", DATA / "participants.csv")
    text = (DATA / "deals.csv").read_text().replace("D-1006,bo,45000,", "D-1006,bo,45000.001,")
    with pytest.raises(ImportFailed) as caught:
        await load(db, "deals", write(tmp_path, text), chunk_rows=2)
    assert [str(p) for p in caught.value.problems] == [
        "line 7, column 'amount': 45000.001 has more decimal places than USD allows (2)"
    ]
    assert await counts(db) == (0, 0, 1)  # only the participants' audit entry


async def test_splits_problems_name_the_splits_column(db: AsyncEngine, tmp_path: Path) -> None:
    await load(db, "participants", DATA / "participants.csv")
    text = (
        "external_id,owner,amount,currency,close_date,status,Deal Splits\n"
        "D-1,ana,100,USD,2026-01-31,won,ana:50;zed:50\n"
        "D-2,ana,100,USD,2026-01-31,won,ana:50;bo:40\n"
        "D-3,ana,100,USD,2026-01-31,won,ana50\n"
    ).replace("Deal Splits", "splits")
    with pytest.raises(ImportFailed) as caught:
        await load(db, "deals", write(tmp_path, text))
    assert [str(p) for p in caught.value.problems] == [
        "line 4, column 'splits': 'ana50' is not PARTICIPANT:PERCENT"
        " (write splits like ana:60;bo:40)"
    ]
    text = text.replace("ana50", "ana:100")
    with pytest.raises(ImportFailed) as caught:
        await load(db, "deals", write(tmp_path, text))
    assert [str(p) for p in caught.value.problems] == [
        "line 2, column 'splits': split 2 participant: unknown participant 'zed'",
        "line 3, column 'splits': percentages sum to 90, not 100",
    ]


async def test_conversion_problems_are_listed_for_every_row(
    db: AsyncEngine, tmp_path: Path
) -> None:
    text = (
        "external_id,name,currency,email,start_date\n"
        "ana,Ana Lima,usd,,2025-01-06\n"
        "bo,,USD,,2025-13-01\n"
        "mia,Mia Roth,EUR\n"
    )
    with pytest.raises(ImportFailed) as caught:
        await load(db, "participants", write(tmp_path, text))
    assert [str(p) for p in caught.value.problems] == [
        "line 2, column 'currency': 'usd' is not a currency code",
        "line 3, column 'name': is empty",
        "line 4: has 3 fields where the header has 5",
    ]


async def test_a_key_repeated_anywhere_in_the_file_is_refused(
    db: AsyncEngine, tmp_path: Path
) -> None:
    await load(db, "participants", DATA / "participants.csv")
    text = (DATA / "deals.csv").read_text() + "D-1002,bo,991.00,USD,2026-02-20,won,,,,,\n"
    with pytest.raises(ImportFailed) as caught:
        await load(db, "deals", write(tmp_path, text), chunk_rows=3)
    assert [str(p) for p in caught.value.problems] == [
        "line 8, column 'external_id': 'D-1002' is already on line 3"
    ]
    assert (await counts(db))[0] == 0


async def test_activities_take_dates_as_midnight_utc(db: AsyncEngine, tmp_path: Path) -> None:
    await load(db, "participants", DATA / "participants.csv")
    text = (
        "external_id,participant,type,occurred_at,quantity,Channel\n"
        "A-1,ana,call,2026-03-02T09:30:00+01:00,1,phone\n"
        "A-2,bo,meeting,2026-03-03,2,\n"
    )
    summary = await load(db, "activities", write(tmp_path, text))
    assert summary.created == 2
    async with driver_transaction(db) as conn:
        rows = await conn.fetch(
            "SELECT external_id, occurred_at AT TIME ZONE 'UTC' AS utc, quantity::int,"
            " attributes FROM activities ORDER BY 1"
        )
    assert [(r[0], r[1].isoformat(), r[2], r[3]) for r in rows] == [
        ("A-1", "2026-03-02T08:30:00", 1, {"channel": "phone"}),
        ("A-2", "2026-03-03T00:00:00", 2, {}),
    ]


async def test_header_problems_are_named(db: AsyncEngine, tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="cannot tell the format"):
        await load(db, "deals", write(tmp_path, "id,who,how much\n1,ana,3\n"))
    with pytest.raises(ImportFailed, match=r"lacks the required column\(s\) 'Close Date'"):
        await load(
            db,
            "deals",
            write(tmp_path, "Opportunity ID,Opportunity Owner,Amount,Stage,Amount Currency\n"),
        )
    with pytest.raises(ImportFailed, match=r"'Opportunity Currency' \(or give --currency\)"):
        await load(
            db,
            "deals",
            write(tmp_path, "Opportunity ID,Opportunity Owner,Amount,Stage,Close Date\n"),
        )
    with pytest.raises(ImportFailed, match="unknown column"):
        await load(db, "participants", write(tmp_path, "external_id,name,currency,team\n"))
    with pytest.raises(ImportFailed, match="needs a header"):
        await load(db, "participants", write(tmp_path, ""))


async def test_a_default_currency_for_exports_without_one(db: AsyncEngine, tmp_path: Path) -> None:
    await load(db, "participants", DATA / "participants.csv")
    text = (
        "Opportunity ID,Opportunity Owner,Amount,Stage,Close Date\n"
        "006A,Ana Lima,$1,250.00,Closed Won,1/31/2026\n"
    ).replace("$1,250.00", '"$1,250.00"')
    summary = await load(db, "deals", write(tmp_path, text), currency="USD")
    assert summary.created == 1
    assert (await deals_by_id(db))["006A"]["amount_minor"] == 125000


def _count_deals(url: str) -> int:
    async def count() -> int:
        dsn = make_url(normalise_url(url)).set(drivername="postgresql")
        conn = await asyncpg.connect(dsn.render_as_string(False))
        try:
            value: int = await conn.fetchval("SELECT count(*) FROM deals")
            return value
        finally:
            await conn.close()

    return asyncio.run(count())


def test_the_cli_command(
    db: AsyncEngine,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("INCENTIVES_DATABASE_URL", database_url)
    assert cli.main(["import", "participants", str(DATA / "participants.csv")]) == 0
    out = capsys.readouterr().out
    assert "participants (canonical): 4 rows, 4 created, 0 updated, 0 unchanged" in out
    assert "rows/s" in out

    bad = (DATA / "hubspot_deals.csv").read_text().replace("3100.10", "31OO.10")
    assert cli.main(["import", "deals", str(write(tmp_path, bad))]) == 1
    err = capsys.readouterr().err
    assert "line 5, column 'Amount': '31OO.10' is not an amount" in err
    assert _count_deals(database_url) == 0

    path = str(DATA / "hubspot_deals.csv")
    assert cli.main(["import", "deals", path, "--format", "hubspot"]) == 0
    assert "4 created" in capsys.readouterr().out
    assert _count_deals(database_url) == 4
    assert cli.main(["import", "deals", path, "--format", "salesforce"]) == 1
    assert "lacks the required column(s) 'Opportunity ID'" in capsys.readouterr().err


async def test_progress_is_told_after_each_chunk_with_an_estimate_of_the_rows(
    db: AsyncEngine, tmp_path: Path
) -> None:
    rows = [f"p{i:05},Person {i},p{i}@example.com,USD,2025-01-06," for i in range(3000)]
    path = write(tmp_path, "external_id,name,email,currency,start_date,end_date\n")
    path.write_text(path.read_text() + "\n".join(rows) + "\n")
    told: list[tuple[int, int]] = []
    summary = await load(
        db, "participants", path, chunk_rows=1000, on_progress=lambda *t: told.append(t)
    )
    assert summary.rows == 3000
    assert [done for done, _ in told] == [1000, 2000, 3000]
    assert told[-1] == (3000, 3000)  # exact once the whole file is read
    # Judged from the bytes read (to within a read buffer): near the real count.
    assert all(2000 <= estimate <= 4500 for _, estimate in told[:-1])
