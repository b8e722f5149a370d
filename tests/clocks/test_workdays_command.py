"""``xiaoneng workdays``: ISO dates or integers on stdout; bad input → one stderr line, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db

XIAONENG = Path(sys.executable).parent / "xiaoneng"


def run(*args: str) -> str:
    out = StringIO()
    call_command("workdays", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2024-09-27", "20", "2024-10-30"),
        ("2020-01-20", "20", "2020-02-25"),
        ("2019-04-28", "3", "2019-05-05"),
        ("2025-03-01", "0", "2025-03-03"),
    ],
)
def test_add_prints_the_domain_rules_examples(start: str, n: str, expected: str) -> None:
    """``add START N`` prints the N-th working day after START (DOMAIN_RULES.md §1)."""
    assert run("add", start, n) == expected + "\n"


def test_count_prints_working_days_in_the_half_open_interval() -> None:
    """``count A B`` counts (A, B]: 20 from 2025-03-03 to 03-31, 0 for A = B."""
    assert run("count", "2025-03-03", "2025-03-31") == "20\n"
    assert run("count", "2025-03-03", "2025-03-03") == "0\n"
    assert run("count", "2024-09-30", "2024-10-08") == "1\n"


def test_due_is_the_clock_calculator() -> None:
    """``due`` applies pauses and extensions: the worked example gives 2025-04-08."""
    assert run("due", "2025-03-03", "20") == "2025-03-31\n"
    assert run("due", "2025-03-03", "20", "--pause", "2025-03-05:2025-03-12") == "2025-04-08\n"
    assert run("due", "2025-03-03", "20", "--extend", "6", "--extend", "4") == "2025-04-15\n"
    two_pauses = run(
        "due",
        "2025-03-03",
        "20",
        "--pause",
        "2025-03-07:2025-03-12",
        "--pause",
        "2025-03-05:2025-03-07",
    )
    assert two_pauses == "2025-04-08\n"


def test_uncovered_year_is_refused_unless_provisional() -> None:
    """A 2027 answer is refused (exit 2); with --provisional it is weekends-only and marked."""
    with pytest.raises(CommandError) as caught:
        run("add", "2026-12-27", "20")
    assert caught.value.returncode == 2
    assert "2027" in str(caught.value)
    assert run("add", "2026-12-27", "20", "--provisional") == "2027-01-25 provisional\n"
    assert run("count", "2026-12-31", "2027-01-08", "--provisional") == "6 provisional\n"
    assert (
        run("due", "2026-12-20", "20", "--provisional", "--pause", "2026-12-22:2026-12-23")
        == "2027-01-19 provisional\n"
    )
    # Answers inside covered years carry no mark even with the flag.
    assert run("add", "2025-03-03", "20", "--provisional") == "2025-03-31\n"


@pytest.mark.parametrize(
    "args",
    [
        ("add", "2024-13-01", "3"),
        ("add", "2024-09-27", "-1"),
        ("add", "2024-09-27", "x"),
        ("due", "2025-03-03", "20", "--pause", "2025-03-05"),
        ("due", "2025-03-03", "20", "--pause", "2025-03-05:2025-03-01"),
        ("due", "2025-03-03", "20", "--pause", "2025-03-01:2025-03-05"),
        ("due", "2025-03-03", "20", "--extend", "two"),
        ("add", "2003-06-01", "3"),
    ],
)
def test_bad_input_is_a_command_error_with_exit_code_2(args: tuple[str, ...]) -> None:
    """Bad dates, numbers, pauses, or dates outside the index: CommandError(returncode=2)."""
    with pytest.raises(CommandError) as caught:
        run(*args)
    assert caught.value.returncode == 2
    assert "\n" not in str(caught.value)


# -- the real console command ----------------------------------------------------------------


@pytest.fixture(scope="session")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment whose database is a fresh SQLite file with the seeded calendar."""
    home = tmp_path_factory.mktemp("workdays-cli")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{home / 'cli.sqlite3'}",
        "XIAONENG_VAR": str(home),
        "LANGUAGE": "en",
    }
    subprocess.run(
        [str(XIAONENG), "migrate", "calendars", "--no-input", "-v", "0"],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return env


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(XIAONENG), "workdays", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_prints_the_answer_on_stdout(cli_env: dict[str, str]) -> None:
    """The console command prints the date and nothing on stderr, exit 0."""
    done = cli(cli_env, "due", "2025-03-03", "20", "--pause", "2025-03-05:2025-03-12")
    assert (done.returncode, done.stdout, done.stderr) == (0, "2025-04-08\n", "")
    done = cli(cli_env, "add", "2020-01-20", "20")
    assert (done.returncode, done.stdout, done.stderr) == (0, "2020-02-25\n", "")
    done = cli(cli_env, "add", "2026-12-27", "20", "--provisional")
    assert (done.returncode, done.stdout) == (0, "2027-01-25 provisional\n")


@pytest.mark.parametrize(
    "args",
    [
        ("add", "2026-12-27", "20"),  # 2027 is not covered
        ("add", "2024-02-30", "3"),  # no such day
        ("count", "2025-03-03"),  # missing argument
        ("bogus",),  # unknown subcommand
        (),  # no subcommand
        ("due", "2025-03-03", "20", "--pause", "2025-03-12:2025-03-05"),
    ],
)
def test_cli_refusals_are_one_stderr_line_and_exit_2(
    cli_env: dict[str, str], args: tuple[str, ...]
) -> None:
    """Bad input or an uncovered year: empty stdout, exactly one line on stderr, exit 2."""
    done = cli(cli_env, *args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1, done.stderr
