"""`manage.py estimate SCENARIO.json | -`: the estimate engine on a scenario file (contract
../shared/contracts/estimate.md). Pure: no database, no clock; exit 2 on invalid input."""

import json
import sys

from django.core.management.base import BaseCommand

from insurance.engine import ScenarioError, estimate, read_scenario, result_json


class _InvalidInput(Exception):
    pass


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not allowed")


def _estimate_document(text: str):
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except ValueError as error:
        raise _InvalidInput(f"$: not valid JSON ({error})") from None
    except RecursionError:
        raise _InvalidInput("$: not valid JSON (nested too deeply)") from None
    try:
        if isinstance(document, list):
            if not document:
                raise _InvalidInput("$: an empty batch (give at least one scenario)")
            scenarios = [read_scenario(item, f"[{i}]") for i, item in enumerate(document)]
            return [result_json(estimate(scenario)) for scenario in scenarios]
        return result_json(estimate(read_scenario(document)))
    except ScenarioError as error:
        raise _InvalidInput(str(error)) from None


class Command(BaseCommand):
    help = "Estimate insurance for a scenario (JSON file, or - for standard input)."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("scenario", help="scenario JSON file, or - to read standard input")

    def handle(self, *args, scenario: str, **options):
        try:
            text = self._read(scenario)
            output = _estimate_document(text)
        except _InvalidInput as error:
            self._fail(2, str(error))
        except Exception as error:  # a bug: one readable line, never a traceback
            self._fail(1, f"internal error: {type(error).__name__}: {error}")
        self.stdout.write(json.dumps(output, indent=1))

    def _read(self, source: str) -> str:
        try:
            if source == "-":
                return sys.stdin.buffer.read().decode("utf-8")
            with open(source, encoding="utf-8") as handle:
                return handle.read()
        except UnicodeDecodeError:
            raise _InvalidInput("$: not valid JSON (the text is not UTF-8)") from None
        except OSError as error:
            raise _InvalidInput(f"{source}: cannot read ({error.strerror})") from None

    def _fail(self, status: int, message: str):
        self.stderr.write(f"error: {message}")
        sys.exit(status)
